import type { Limiter } from '../graph/limiter';
import type { MailboxGraph } from '../graph/mailboxGraph';
import type { Logger } from '../common/logger';
import type { FailedItem, Mailbox } from '../common/mailbox';
import type { RunCounters } from '../store/entities';
import type { IndexWriter } from '../store/messageIndex';
import type { BackupStorage } from '../store/storage';
import type { BackupOptions } from './options';

export type ProgressEvent =
    | { kind: 'folders'; mailbox: string; total: number; messages: number }
    | { kind: 'messages'; mailbox: string; processed: number; downloaded: number; bytes: number }
    | { kind: 'folderDone'; mailbox: string; folder: string };

/** Everything one mailbox's backup slice works with; built by backupMailbox, passed down. */
export interface MailboxSync {
    mailbox: Mailbox;
    graph: MailboxGraph;
    storage: BackupStorage;
    writer: IndexWriter;
    options: BackupOptions;
    runId: string;
    now: () => Date;
    /** Epoch ms after which no new page or folder is started; undefined = no time budget. */
    deadline?: number;
    /** Aborted when the process is asked to stop (Ctrl-C, host shutdown): finish the page, commit, return. */
    signal?: AbortSignal;
    counters: RunCounters;
    failures: FailedItem[];
    /** Serialises decisions about which folder owns a message (moves against deletions). */
    entityLock: Limiter;
    /** Messages deleted earlier in this run: a later sighting in another folder was a move. */
    deletedThisRun: Set<string>;
    downloads: number;
    log: Logger;
    progress?: (event: ProgressEvent) => void;
}

export function outOfTime(sync: MailboxSync): boolean {
    return !!sync.signal?.aborted || (sync.deadline !== undefined && sync.now().getTime() >= sync.deadline);
}

export function atDownloadCap(sync: MailboxSync): boolean {
    return sync.options.maxMessages !== undefined && sync.downloads >= sync.options.maxMessages;
}
