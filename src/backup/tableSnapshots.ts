/**
 * The engine's two uses of index snapshots (src/store/indexSnapshot.ts, docs/table-snapshots.md): one
 * after each mailbox's backup, and the rebuild of the tables from them.
 */
import { mapConcurrently } from '../common/concurrency';
import type { RunCounters } from '../store/entities';
import type { SnapshotTable } from '../store/indexSnapshot';
import type { BackupStorage } from '../store/storage';
import type { Logger } from '../common/logger';
import type { Mailbox } from '../common/mailbox';

const PARALLEL_MAILBOXES = 4;
/** Shown as the holder of a mailbox's lock while its tables are rebuilt. */
const REBUILD_LOCK_HOLDER = 'rebuild-index';

/**
 * After a mailbox's backup (or one slice of it), a snapshot of its index rows, when the backup changed
 * any message. A backup that changed none (the common 15-minute incremental) writes nothing: only
 * folder sync state moved, and a stale delta link costs a longer sync after a rebuild, never a message.
 * A snapshot that fails is logged and the backup stands: the next snapshot starts from the last one
 * written, so it holds these changes too.
 */
export async function snapshotChangedIndex(
    deps: { storage: BackupStorage; log: Logger },
    mailbox: Mailbox,
    counters: RunCounters,
): Promise<void> {
    const changed =
        counters.messagesNew + counters.messagesChanged + counters.messagesUpdated + counters.messagesDeleted;
    if (changed === 0) return;
    try {
        const snapshot = await deps.storage.snapshots.take(mailbox.id);
        deps.log.info(`${mailbox.userPrincipalName}: index snapshot (${snapshot.kind}, ${snapshot.rows} rows)`);
    } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        deps.log.warn(
            `${mailbox.userPrincipalName}: the index snapshot could not be written (${reason}); ` +
                `the next backup's snapshot holds these changes as well`,
        );
    }
}

export interface RebuiltMailbox {
    mailboxId: string;
    /** When the latest snapshot read was taken: what the tables now hold is as of then. */
    asOf: string;
    snapshots: number;
    rows: Record<SnapshotTable, number>;
}

export interface RebuildReport {
    rebuilt: RebuiltMailbox[];
    /** Mailboxes asked for that have no full snapshot. */
    missing: string[];
    /** Mailboxes a backup was working on: left alone. */
    busy: { mailboxId: string; heldBy: string }[];
}

/**
 * Writes the index rows of every mailbox with snapshots (or only `mailboxId`'s) back into the tables from
 * its latest full snapshot and the changes after it. Each mailbox is rebuilt under its backup lock, so no
 * backup writes its rows meanwhile. Safe to repeat: every row is an upsert of the same values.
 */
export async function rebuildIndex(
    storage: BackupStorage,
    options: { mailboxId?: string; log?: Logger } = {},
): Promise<RebuildReport> {
    const report: RebuildReport = { rebuilt: [], missing: [], busy: [] };
    const mailboxIds = options.mailboxId ? [options.mailboxId] : await storage.snapshots.listMailboxes();
    await mapConcurrently(mailboxIds, PARALLEL_MAILBOXES, async (mailboxId) => {
        const chain = await storage.snapshots.chain(mailboxId);
        const latest = chain.at(-1);
        if (!latest) {
            report.missing.push(mailboxId);
            return;
        }
        const lock = await storage.locks.acquire(mailboxId, REBUILD_LOCK_HOLDER);
        if (!lock.acquired) {
            report.busy.push({ mailboxId, heldBy: lock.heldBy });
            return;
        }
        try {
            const rows = await storage.snapshots.restore(mailboxId, chain);
            const asOf = latest.takenAt.toISOString();
            report.rebuilt.push({ mailboxId, asOf, snapshots: chain.length, rows });
            options.log?.info(`${mailboxId}: index rebuilt from ${chain.length} snapshots, as of ${asOf}`);
        } finally {
            await lock.lease.release();
        }
    });
    return report;
}
