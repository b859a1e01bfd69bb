/**
 * The rows we keep in Azure Table Storage. Every entity of one mailbox shares a partition
 * (the mailbox's Entra object id), so a mailbox's writes can be batched into transactions.
 * Row keys are Graph ids escaped by `toTableKey` (tableKeys.ts).
 */

/** `messages` table: the checksum index, one row per message ever seen in a mailbox. */
export interface MessageEntity {
    partitionKey: string; // mailbox id
    rowKey: string; // toTableKey(immutable message id)
    messageId: string; // the immutable Graph id, unescaped
    sha256: string; // hex SHA-256 of the exact MIME bytes Graph served
    size: number; // bytes of MIME
    changeKey: string;
    folderId: string;
    folderPath: string;
    subject: string;
    sender: string;
    receivedAt: string; // ISO 8601
    internetMessageId: string;
    isRead: boolean;
    flagStatus: string;
    categories: string; // JSON array
    isDraft: boolean;
    emlBlob: string; // blob name of the MIME copy, '' when format is json only
    jsonBlob: string; // blob name of the JSON copy, '' when format is eml only
    attachmentCount: number;
    version: number; // 1 for the first content seen, +1 per content change
    contentSince: string; // when the current version was first backed up
    firstSeenAt: string;
    lastSeenAt: string;
    deletedAt: string; // '' while the message is in the mailbox
    // When the message arrived in folderId (first seen, moved, or seen again after a deletion). Rows
    // written before placement history was kept lack it: firstSeenAt stands in.
    placedSince?: string;
}

/** `versions` table: every content version of a message, so an older one stays restorable. */
export interface VersionEntity {
    partitionKey: string; // mailbox id
    rowKey: string; // `${toTableKey(messageId)}~${version padded to 6 digits}`
    messageId: string;
    version: number;
    sha256: string;
    size: number;
    changeKey: string;
    emlBlob: string;
    jsonBlob: string;
    validFrom: string; // when this content was first backed up
    validTo: string; // '' for the current version
    subject?: string; // a draft's subject changes with its content; absent in rows written before it was kept
}

/**
 * `placements` table: a folder a message has left, and when it was there. The current placement is on
 * the `messages` row (folderId, folderPath, placedSince), so a message that never moved has no rows here.
 * A placement ends when the message moves or is deleted; the time between a deletion and the message
 * being seen again is covered by no placement.
 */
export interface PlacementEntity {
    partitionKey: string; // mailbox id
    rowKey: string; // `${toTableKey(messageId)}~${validFrom}`
    messageId: string;
    folderId: string;
    folderPath: string; // as the folder was named when the message left it
    validFrom: string; // when the message arrived in the folder
    validTo: string; // when it left (moved) or was deleted
}

/** `attachments` table: one row per file attachment of a backed-up message version. */
export interface AttachmentEntity {
    partitionKey: string; // mailbox id
    rowKey: string; // `${toTableKey(messageId)}~${toTableKey(attachmentId)}`
    messageId: string;
    attachmentId: string;
    name: string;
    contentType: string;
    size: number;
    isInline: boolean;
    sha256: string;
    blob: string;
}

/** `folders` table: per-folder sync state. */
export interface FolderEntity {
    partitionKey: string; // mailbox id
    rowKey: string; // toTableKey(folder id)
    folderId: string;
    displayName: string;
    parentFolderId: string;
    path: string; // e.g. "Inbox/Projects/2026"
    deltaLink: string; // '' until the folder's first complete sync
    pendingLink: string; // nextLink of an interrupted sync, '' when none
    lastSyncedAt: string;
    lastRunId: string; // the run that last completed this folder
    pendingRunId: string; // the run that wrote pendingLink
    roundStartedAt: string; // start of the pending sync from scratch (reconciling); '' for an incremental one
    retryIds: string; // JSON array of message ids whose download failed; retried on the next sync
    removedAt: string; // '' while the folder exists
}

export type BackupType = 'full' | 'incremental';
/** A 'verify' run re-read stored content (src/maintenance/verify.ts); it backs nothing up. */
export type RunType = BackupType | 'verify';
export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed';

/** Counters shared by a run and each of its mailboxes. */
export interface RunCounters {
    messagesNew: number;
    messagesChanged: number; // content changed: a new version was stored
    messagesUpdated: number; // metadata only: read state, flag, categories, move
    messagesUnchanged: number;
    messagesDeleted: number;
    messagesFailed: number;
    bytesDownloaded: number;
    bytesStored: number; // bytes written to new blobs (after deduplication)
    graphRequests: number;
    graphThrottled: number;
}

/** `runs` table: one row per backup run. PartitionKey 'run', RowKey = runId (`20261126T021500Z-3f9a`, sorts by start time). */
export interface RunEntity extends RunCounters {
    partitionKey: 'run';
    rowKey: string; // runId
    runId: string;
    type: RunType;
    trigger: string; // 'cli' | 'timer' | 'http' | ...
    // Who drives it, so a later run can tell it was abandoned (docs/run-lifecycle.md): 'app' for the
    // Functions app, `process <host> <pid>` for the CLI. Absent in rows written before it was kept.
    owner?: string;
    startedAt: string;
    endedAt: string;
    status: RunStatus;
    reason?: string; // why a run failed before reaching any mailbox (e.g. Graph refused the credentials)
    mailboxesTotal: number;
    mailboxesDone: number;
    mailboxesSkipped: number;
    mailboxesFailed: number;
    // Graph requests of the directory listing, counted apart so that completeRun can total the
    // mailbox rows into graphRequests again and again (an activity may run twice) and still include them.
    discoveryRequests?: number;
    discoveryThrottled?: number;
    problemsFound?: number; // verify runs: problems found (see src/maintenance/verify.ts)
}

/** `mailboxruns` table: one row per mailbox per run. PartitionKey = runId, RowKey = mailbox id. */
export interface MailboxRunEntity extends RunCounters {
    partitionKey: string; // runId
    rowKey: string; // mailbox id
    mailboxId: string;
    userPrincipalName: string;
    status: 'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'skipped';
    reason: string; // why skipped or failed; '' otherwise
    slices?: number; // time-budgeted slices the mailbox took (one, where nothing limits a slice's time)
    startedAt: string; // when it was queued, then when a worker claimed it
    endedAt: string;
    failedItems: string; // JSON array of {id, subject, folder, error}: the first that fit one property (tableLimits.ts)
}

/**
 * `mailboxruns` table, partition `<runId>~queue`: the mailboxes of a run not yet claimed by a worker. A
 * claim deletes its row (runHistory.ts, claimQueued); the partition is empty when the run has been through
 * every mailbox.
 */
export interface QueuedMailboxEntity {
    partitionKey: string; // `${runId}~queue`
    rowKey: string; // mailbox id
    mailboxId: string;
    userPrincipalName: string;
    displayName: string;
    shared: boolean;
}

export function emptyCounters(): RunCounters {
    return {
        messagesNew: 0,
        messagesChanged: 0,
        messagesUpdated: 0,
        messagesUnchanged: 0,
        messagesDeleted: 0,
        messagesFailed: 0,
        bytesDownloaded: 0,
        bytesStored: 0,
        graphRequests: 0,
        graphThrottled: 0,
    };
}
