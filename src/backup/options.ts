import type { RunType } from '../store/entities';

/** What is stored for each message: the exact MIME, a JSON document, or both. */
export type BackupFormat = 'eml' | 'json' | 'both';

export interface BackupOptions {
    type: RunType;
    format: BackupFormat;
    /** Store attachment content (separate blobs, small ones embedded in the JSON copy). */
    attachments: boolean;
    /** Keep folder paths in the index's browsable paths; off means one flat list per mailbox. */
    folders: boolean;
    /** Download at most this many messages per mailbox per run; the rest waits for the next run. */
    maxMessages?: number;
}

export const DEFAULT_OPTIONS: BackupOptions = { type: 'incremental', format: 'both', attachments: true, folders: true };

export function storesEml(options: BackupOptions): boolean {
    return options.format !== 'json';
}

export function storesJson(options: BackupOptions): boolean {
    return options.format !== 'eml';
}
