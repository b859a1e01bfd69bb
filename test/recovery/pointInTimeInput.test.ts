import { afterEach, describe, expect, it, vi } from 'vitest';

import { InputError } from '../../src/common/errors';
import { parsePointInTime } from '../../src/recovery/pointInTimeInput';

describe('the point in time a recovery is as of', () => {
    afterEach(() => vi.unstubAllEnvs());

    it('takes a date as its first moment, in UTC, and a time without a zone as UTC', () => {
        vi.stubEnv('TZ', 'Asia/Tokyo');
        expect(parsePointInTime('2026-11-26').toISOString()).toBe('2026-11-26T00:00:00.000Z');
        expect(parsePointInTime('2026-11-26T02:15').toISOString()).toBe('2026-11-26T02:15:00.000Z');
        expect(parsePointInTime('2026-02-28 23:59:59.999').toISOString()).toBe('2026-02-28T23:59:59.999Z');
    });

    it('honours a zone or an offset when one is given', () => {
        expect(parsePointInTime('2026-11-26T02:15:00+01:00').toISOString()).toBe('2026-11-26T01:15:00.000Z');
        expect(parsePointInTime('2028-02-29T00:00:00z').toISOString()).toBe('2028-02-29T00:00:00.000Z');
    });

    it('refuses a day the calendar does not have instead of rolling it over into the next month', () => {
        for (const value of ['2026-02-30T00:00:00Z', '2026-02-29', '2026-04-31T10:00Z', '2026-13-01']) {
            expect(() => parsePointInTime(value), value).toThrow(InputError);
            expect(() => parsePointInTime(value), value).toThrow(
                `"${value}" names a day the calendar does not have; use e.g. 2026-11-26 or 2026-11-26T02:15:00Z`,
            );
        }
    });

    it('refuses what is not an ISO 8601 date or time as an input error about asOf, showing the forms it takes', () => {
        for (const value of ['yesterday', '26/11/2026', '2026-11-26T25:00', 'Thu, 26 Nov 2026 02:15:00 GMT', '']) {
            let refusal: unknown;
            try {
                parsePointInTime(value);
            } catch (error) {
                refusal = error;
            }
            expect(refusal, value).toBeInstanceOf(InputError);
            expect(refusal, value).toMatchObject({
                input: 'asOf',
                detail: `"${value}" is not an ISO 8601 date or time; use e.g. 2026-11-26 or 2026-11-26T02:15:00Z`,
            });
        }
    });
});
