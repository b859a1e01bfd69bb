/**
 * Retention (`cleanup --days N`): what is older than the cutoff (now − N days) and no longer needed.
 *   1. Run history: runs that ended before the cutoff, with their mailbox rows.
 *   2. Index, mailbox by mailbox:
 *      - versions superseded before the cutoff (validTo set and older);
 *      - messages deleted from the mailbox before the cutoff (deletedAt older): their versions, their
 *        attachment rows, then their message row (last, so an interrupted purge is found and repeated).
 *      A mailbox whose index rows were deleted gets a full snapshot of its index (docs/table-snapshots.md),
 *      since a snapshot of changes cannot show a deleted row; snapshots a later full one supersedes are
 *      deleted once SNAPSHOT_KEEP_MS (or the retention, if shorter) old.
 *   3. Blobs: under content/ and attachments/, those no remaining message, version or attachment row
 *      names; under staging/, all. In both cases only blobs last modified BLOB_GRACE_MS before `now`, and
 *      only if unchanged since they were listed.
 *
 * Invariants:
 * - Cleanup never removes what a message still in its mailbox needs: its message row, its current
 *   version row (validTo '', or the message row's own version) and its attachment rows are never
 *   deleted, and every blob a remaining row names is kept.
 * - No blob is deleted that a backup has stored or reused and is about to name in an index row. A backup
 *   stores a blob before it writes the row naming it (contentStore.ts), within ROW_AFTER_PUT_MS. A blob
 *   is deleted only if (a) no row named it when the index was read, (b) its Last-Modified was more than
 *   BLOB_GRACE_MS before cleanup started, and (c) it is unchanged since it was listed (If-Match its ETag).
 *   A put that finds its blob present marks it (a metadata write, new ETag) when it is older than
 *   REUSE_MARK_AGE_MS. So a put after the listing either recreates a blob already deleted, or changes the
 *   ETag and the delete fails (c). A put before the listing left the blob at most REUSE_MARK_AGE_MS old,
 *   so for (b) it was more than BLOB_GRACE_MS − REUSE_MARK_AGE_MS = ROW_AFTER_PUT_MS before cleanup
 *   started, and its row, written within ROW_AFTER_PUT_MS, was there for (a). Nothing here depends on
 *   whether a run is in progress.
 * - A purged message may be revived by a backup that read its row just before: the purge of deleted
 *   messages (and, to be safe, the blob collection) is skipped while a backup is busy (backupInProgress.ts),
 *   checked at the start and again before blobs are deleted. A backup starting during the purge can still
 *   race it: schedule cleanup apart from backups.
 * - Mailboxes are found through their message rows. Version or attachment rows of a mailbox with none
 *   (a crash before its first message row was written) are not read, so the blobs only they name may be
 *   collected; the mailbox's next backup stores that content again.
 */
import { mapConcurrently } from '../common/concurrency';
import { type ContentStore, type ListedBlob, REUSE_MARK_AGE_MS } from '../store/contentStore';
import type { RunHistory } from '../store/runHistory';
import type { BackupStorage } from '../store/storage';
import type { Logger } from '../common/logger';
import { backupInProgress, lockedMailboxes, STALE_RUN_MS } from './backupInProgress';

export interface CleanupOptions {
    days: number;
    /** The real clock outside tests: blob ages are measured against it. */
    now: Date;
    log?: Logger;
}

export interface CleanupReport {
    cutoff: string;
    runsDeleted: number;
    versionsDeleted: number;
    messagesDeleted: number;
    attachmentsDeleted: number;
    blobsDeleted: number;
    bytesFreed: number;
    snapshotsDeleted: number;
    /** Why deleted messages were not purged and blobs not collected; '' when they were. */
    skipped: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Far longer than a backup takes from storing a blob to writing the index row naming it: the writer sends
 * a mailbox's rows every 100 messages and at the end of each folder (indexWriter.ts).
 */
const ROW_AFTER_PUT_MS = 2 * DAY_MS;
const BLOB_GRACE_MS = REUSE_MARK_AGE_MS + ROW_AFTER_PUT_MS;
const BLOB_PREFIXES = ['content/', 'attachments/'];
const STAGING_PREFIX = 'staging/';
const PARALLEL_MAILBOXES = 4;
/**
 * How long an index snapshot that a later full one supersedes is kept: a window to undo a bad change to
 * the tables. Blob soft delete and versioning keep it longer where they are on.
 */
const SNAPSHOT_KEEP_MS = 7 * DAY_MS;
const PARALLEL_BLOB_DELETES = 16;

/** Deletes what the retention period no longer keeps; see the invariants above. */
export async function cleanup(storage: BackupStorage, options: CleanupOptions): Promise<CleanupReport> {
    const now = options.now.getTime();
    const cutoff = new Date(now - options.days * DAY_MS).toISOString();
    const staleBefore = new Date(now - STALE_RUN_MS).toISOString();
    const report: CleanupReport = {
        cutoff,
        runsDeleted: 0,
        versionsDeleted: 0,
        messagesDeleted: 0,
        attachmentsDeleted: 0,
        blobsDeleted: 0,
        bytesFreed: 0,
        snapshotsDeleted: 0,
        skipped: '',
    };
    const log = options.log;

    // While any mailbox lock is held, a run 'running' for long may be a live one: none counts as crashed.
    const crashedBefore = (await lockedMailboxes(storage.content)).length > 0 ? '' : staleBefore;
    report.runsDeleted = await pruneRuns(storage.runs, cutoff, crashedBefore);
    log?.info(`cleanup: deleted ${report.runsDeleted} runs that ended before ${cutoff}`);

    report.skipped = await backupInProgress(storage, options.now);
    if (report.skipped) {
        log?.warn(`cleanup: ${report.skipped}; deleted messages and blobs are left for a later cleanup`);
    }
    const references = new Set<string>();
    const mailboxIds = await storage.index.listMailboxIds();
    const snapshotsBefore = new Date(Math.max(now - options.days * DAY_MS, now - SNAPSHOT_KEEP_MS));
    await mapConcurrently(mailboxIds, PARALLEL_MAILBOXES, (mailboxId) =>
        pruneMailbox(storage, mailboxId, {
            cutoff,
            purgeDeleted: !report.skipped,
            references,
            snapshotsBefore,
            report,
        }),
    );
    log?.info(
        `cleanup: deleted ${report.versionsDeleted} superseded versions, ${report.messagesDeleted} deleted messages ` +
            `and ${report.attachmentsDeleted} of their attachment rows, and ${report.snapshotsDeleted} superseded ` +
            `index snapshots`,
    );
    if (report.skipped) return report;

    const graceBefore = new Date(now - BLOB_GRACE_MS);
    const garbage = await findGarbage(storage.content, references, graceBefore);
    report.skipped = await backupInProgress(storage, options.now);
    if (report.skipped) {
        log?.warn(`cleanup: ${report.skipped}; unreferenced blobs are left for a later cleanup`);
        return report;
    }
    let kept = 0;
    await mapConcurrently(garbage, PARALLEL_BLOB_DELETES, async (blob) => {
        if (!(await storage.content.deleteIfUnchanged(blob.name, blob.etag))) {
            kept++;
            return;
        }
        report.blobsDeleted++;
        report.bytesFreed += blob.size;
    });
    log?.info(
        `cleanup: deleted ${report.blobsDeleted} unreferenced blobs (${report.bytesFreed} bytes); ` +
            `${kept} were written since they were listed (reused by a backup) or already gone, and are kept`,
    );
    return report;
}

/** Deletes the runs that ended before the cutoff, or crashed (still running, started before `crashedBefore`). */
async function pruneRuns(runs: RunHistory, cutoff: string, crashedBefore: string): Promise<number> {
    const expired: string[] = [];
    for await (const run of runs.listRuns()) {
        const end = run.endedAt || (run.startedAt < crashedBefore ? run.startedAt : '');
        if (end && end < cutoff) expired.push(run.runId);
    }
    for (const runId of expired) await runs.deleteRun(runId);
    return expired.length;
}

interface MailboxPruning {
    cutoff: string;
    purgeDeleted: boolean;
    /** Blob names of the rows kept, filled for the blob collection. */
    references: Set<string>;
    /** Superseded index snapshots taken before this are deleted. */
    snapshotsBefore: Date;
    report: CleanupReport;
}

/**
 * One mailbox's expired versions and long-deleted messages. Attachment rows belong to a message, not to
 * one of its versions, so they go only with their message.
 */
async function pruneMailbox(storage: BackupStorage, mailboxId: string, pruning: MailboxPruning): Promise<void> {
    const { cutoff, references, report } = pruning;
    const index = storage.index;
    const currentVersions = new Map<string, number>();
    const purged = new Set<string>();
    for await (const row of index.listMailbox(mailboxId, [
        'messageId',
        'version',
        'deletedAt',
        'emlBlob',
        'jsonBlob',
    ])) {
        if (pruning.purgeDeleted && row.deletedAt && row.deletedAt < cutoff) {
            purged.add(row.messageId);
        } else {
            currentVersions.set(row.messageId, row.version);
            addReferences(references, row.emlBlob, row.jsonBlob);
        }
    }
    const versionKeys: string[] = [];
    for await (const version of index.listVersions(mailboxId)) {
        const expired =
            version.validTo !== '' &&
            version.validTo < cutoff &&
            version.version !== currentVersions.get(version.messageId);
        if (purged.has(version.messageId) || expired) versionKeys.push(version.rowKey);
        else addReferences(references, version.emlBlob, version.jsonBlob);
    }
    const attachmentKeys: string[] = [];
    for await (const attachment of index.listAttachments(mailboxId)) {
        if (purged.has(attachment.messageId)) attachmentKeys.push(attachment.rowKey);
        else addReferences(references, attachment.blob);
    }
    await index.deleteVersions(mailboxId, versionKeys);
    await index.deleteAttachments(mailboxId, attachmentKeys);
    await index.deleteMessages(mailboxId, [...purged]);
    report.versionsDeleted += versionKeys.length;
    report.attachmentsDeleted += attachmentKeys.length;
    report.messagesDeleted += purged.size;
    if (versionKeys.length + attachmentKeys.length + purged.size > 0) {
        await storage.snapshots.take(mailboxId, { full: true });
    }
    report.snapshotsDeleted += await storage.snapshots.prune(mailboxId, pruning.snapshotsBefore);
}

function addReferences(references: Set<string>, ...blobNames: string[]): void {
    for (const name of blobNames) if (name) references.add(name);
}

/** Blobs past the grace period that no row names, and abandoned staging blobs. */
async function findGarbage(content: ContentStore, references: Set<string>, graceBefore: Date): Promise<ListedBlob[]> {
    const garbage: ListedBlob[] = [];
    for (const prefix of [...BLOB_PREFIXES, STAGING_PREFIX]) {
        for await (const blob of content.listBlobs(prefix)) {
            if (blob.lastModified >= graceBefore) continue;
            if (prefix === STAGING_PREFIX || !references.has(blob.name)) garbage.push(blob);
        }
    }
    return garbage;
}
