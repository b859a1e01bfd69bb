import { ConfigError } from '../common/errors';

// A date, or a date and time with an optional zone; without one, the time is UTC.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Option parsers, run by Commander while it reads the command line: a value they refuse stops the
 * command before it opens storage. They throw ConfigError (one line, exit 2).
 */

/** `--as-of`: an ISO 8601 date or date-time; a date means its start (00:00 UTC), a time without zone is UTC. */
export function parseAsOf(value: string): Date {
    const text = value.trim();
    const match = ISO_8601.exec(text);
    const zoned = match && (match[1] !== undefined || !text.includes(':') ? text : `${text}Z`);
    const date = zoned && isCalendarDay(text.slice(0, 10)) ? new Date(zoned.replace(' ', 'T')) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
        throw new ConfigError(
            `--as-of: "${value}" is not an ISO 8601 date or time; use e.g. 2026-11-26 or 2026-11-26T02:15:00Z`,
        );
    }
    return date;
}

/** Whether `YYYY-MM-DD` names a day of the calendar: Date rolls 2026-02-30 over to 2 March rather than refuse it. */
function isCalendarDay(day: string): boolean {
    const [year = 0, month = 0, date = 0] = day.split('-').map(Number);
    const parsed = new Date(Date.UTC(year, month - 1, date));
    return parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === date;
}

/** `--folder`: a folder path such as "Inbox/Projects"; blank names no folder. */
export function folderPath(value: string): string {
    if (value.trim() === '') throw new ConfigError('--folder: give a folder path such as "Inbox/Projects"');
    return value;
}

export function mailboxNotFound(mailbox: string): ConfigError {
    return new ConfigError(
        `--mailbox: ${mailbox} has never been backed up here; check the name (stats lists the backed-up mailboxes)`,
    );
}
