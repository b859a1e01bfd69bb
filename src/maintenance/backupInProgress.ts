import type { ContentStore } from '../store/contentStore';
import type { BackupStorage } from '../store/storage';

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * A run still 'running' this long after its start, with no mailbox lock held, is taken for a crashed
 * process: it no longer counts as busy, and cleanup counts its start as its end.
 */
export const STALE_RUN_MS = 3 * DAY_MS;
const LOCK_PREFIX = 'locks/';

/**
 * Why a backup may be writing right now, or '' when none is. Maintenance reads this before it judges or
 * deletes what a backup writes in two steps (content, then the index row naming it). Busy: a backup run
 * recorded as running that started within STALE_RUN_MS, or, whatever its age, a mailbox lock held right now
 * (a live process keeps renewing its lease, which lapses soon after a crash: mailboxLocks.ts), so a first
 * backup that takes a week still counts. A verify run writes no content and does not count.
 */
export async function backupInProgress(storage: BackupStorage, now: Date): Promise<string> {
    for await (const run of storage.runs.listRuns(new Date(now.getTime() - STALE_RUN_MS))) {
        if (run.status === 'running' && !run.endedAt && run.type !== 'verify') {
            return `backup run ${run.runId} (started ${run.startedAt}) is in progress`;
        }
    }
    const locked = await lockedMailboxes(storage.content);
    if (locked.length > 0) return `a backup is working on mailbox ${locked[0]} (its lock is held)`;
    return '';
}

/** Mailboxes whose lock (locks/<mailbox id>, mailboxLocks.ts) a live backup holds right now. */
export async function lockedMailboxes(content: ContentStore): Promise<string[]> {
    const locked: string[] = [];
    for await (const blob of content.listBlobs(LOCK_PREFIX)) {
        if (blob.leased) locked.push(blob.name.slice(LOCK_PREFIX.length));
    }
    return locked;
}
