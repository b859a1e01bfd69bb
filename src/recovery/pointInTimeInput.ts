import { InputError } from '../common/errors';

// A date, or a date and time with an optional zone; without one, the time is UTC.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const FORMS = 'use e.g. 2026-11-26 or 2026-11-26T02:15:00Z';

/**
 * The point in time a restore or an export is as of, from what a person typed (`--as-of`, a request's `asOf`): an
 * ISO 8601 date or date-time. A date means its first moment in UTC, and a time without a zone is UTC, whatever the
 * machine's time zone. A day the calendar does not have is refused: Date would roll 2026-02-30 over to 2 March and
 * the recovery would quietly be as of another day. Anything else is an InputError about `asOf`.
 */
export function parsePointInTime(value: string): Date {
    const text = value.trim();
    const notIso8601 = new InputError('asOf', `"${value}" is not an ISO 8601 date or time; ${FORMS}`);
    const match = ISO_8601.exec(text);
    if (!match) throw notIso8601;
    if (!isCalendarDay(text.slice(0, 10))) {
        throw new InputError('asOf', `"${value}" names a day the calendar does not have; ${FORMS}`);
    }
    const zoned = match[1] !== undefined || !text.includes(':') ? text : `${text}Z`;
    const date = new Date(zoned.replace(' ', 'T'));
    if (Number.isNaN(date.getTime())) throw notIso8601; // an hour, minute or second out of range
    return date;
}

/** Whether `YYYY-MM-DD` names a day of the calendar. */
function isCalendarDay(day: string): boolean {
    const [year = 0, month = 0, date = 0] = day.split('-').map(Number);
    const parsed = new Date(Date.UTC(year, month - 1, date));
    return parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === date;
}
