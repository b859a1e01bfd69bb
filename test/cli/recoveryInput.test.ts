import { afterEach, describe, expect, it, vi } from 'vitest';

import { folderPath, parseAsOf } from '../../src/cli/recoveryInput';
import { ConfigError } from '../../src/common/errors';

describe('--as-of', () => {
    afterEach(() => vi.unstubAllEnvs());

    it('takes a date as its first moment, in UTC', () => {
        expect(parseAsOf('2026-11-26').toISOString()).toBe('2026-11-26T00:00:00.000Z');
    });

    it('takes a time without a zone as UTC, whatever the machine’s time zone', () => {
        vi.stubEnv('TZ', 'America/New_York');
        expect(parseAsOf('2026-11-26T02:15').toISOString()).toBe('2026-11-26T02:15:00.000Z');
        expect(parseAsOf('2026-11-26 02:15:07').toISOString()).toBe('2026-11-26T02:15:07.000Z');
        expect(parseAsOf(' 2026-11-26T02:15:07.5 ').toISOString()).toBe('2026-11-26T02:15:07.500Z');
    });

    it('honours a zone or an offset when one is given', () => {
        expect(parseAsOf('2026-11-26T02:15:00Z').toISOString()).toBe('2026-11-26T02:15:00.000Z');
        expect(parseAsOf('2026-11-26T02:15:00+01:00').toISOString()).toBe('2026-11-26T01:15:00.000Z');
        expect(parseAsOf('2026-11-26T02:15:00-0530').toISOString()).toBe('2026-11-26T07:45:00.000Z');
    });

    it('refuses anything else with one line that shows the forms it takes', () => {
        for (const value of ['yesterday', '26/11/2026', '2026-11-26T25:00', '2026-02-30', '2026-04-31T10:00Z', '']) {
            expect(() => parseAsOf(value), value).toThrow(ConfigError);
            expect(() => parseAsOf(value), value).toThrow(/--as-of: .* use e\.g\. 2026-11-26 or 2026-11-26T02:15:00Z/);
        }
    });
});

describe('--folder', () => {
    it('takes a folder path as given, and refuses a blank one', () => {
        expect(folderPath('Inbox/Projects')).toBe('Inbox/Projects');
        expect(() => folderPath('  ')).toThrow(ConfigError);
    });
});
