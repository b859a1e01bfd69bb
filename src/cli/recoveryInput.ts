import { ConfigError, InputError } from '../common/errors';
import { parsePointInTime } from '../recovery/pointInTimeInput';

/**
 * Option parsers, run by Commander while it reads the command line: a value they refuse stops the
 * command before it opens storage. They throw ConfigError (one line, exit 2).
 */

/** `--as-of`: the engine's point in time (parsePointInTime), its refusal worded for the flag. */
export function parseAsOf(value: string): Date {
    try {
        return parsePointInTime(value);
    } catch (error) {
        if (error instanceof InputError) throw new ConfigError(`--as-of: ${error.detail}`, { cause: error });
        throw error;
    }
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
