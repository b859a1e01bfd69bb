import type { Client } from '@microsoft/microsoft-graph-client';

import { classifyGraphError, toBackupError } from '../graph/graphErrors';
import { Limiter } from '../graph/limiter';
import { forEachConcurrently } from '../common/concurrency';
import { MailboxGraph } from '../graph/mailboxGraph';
import { GraphMetrics } from '../graph/requestMetrics';
import { emptyCounters, type FolderEntity, type RunCounters } from '../store/entities';
import { writesUnderLease } from '../store/mailboxLocks';
import type { BackupStorage } from '../store/storage';
import { retireFolders } from './folderDeletions';
import { planFolders } from './folderHierarchy';
import { syncFolder } from './folderSync';
import type { Logger } from '../common/logger';
import type { FailedItem, Mailbox } from '../common/mailbox';
import type { MailboxSync, ProgressEvent } from './mailboxContext';
import { atDownloadCap, outOfTime } from './mailboxContext';
import type { BackupOptions } from './options';
import { snapshotChangedIndex } from './tableSnapshots';

/** Folders synced side by side; they share the mailbox's four Graph slots. */
const FOLDER_LANES = 4;

export interface EngineDeps {
    client: Client;
    storage: BackupStorage;
    now: () => Date;
    log: Logger;
    progress?: (event: ProgressEvent) => void;
    /** Run-wide metrics the mailbox's requests are also counted in. */
    metrics?: GraphMetrics;
    /** Stop starting work when aborted; what is finished stays committed. */
    signal?: AbortSignal;
}

export interface MailboxSlice {
    mailbox: Mailbox;
    runId: string;
    options: BackupOptions;
    /** Epoch ms: stop starting new work after it and return `incomplete`. */
    deadline?: number;
}

export type MailboxStatus = 'succeeded' | 'partial' | 'failed' | 'skipped' | 'incomplete';

export interface MailboxOutcome {
    status: MailboxStatus;
    reason: string;
    counters: RunCounters;
    failures: FailedItem[];
}

/**
 * Backs up one mailbox, or as much of it as fits before `deadline`. Everything finished is
 * committed when it returns; an `incomplete` mailbox is continued by calling this again with the
 * same runId (folders completed in this run are skipped, an interrupted folder resumes at its page).
 */
export async function backupMailbox(deps: EngineDeps, slice: MailboxSlice): Promise<MailboxOutcome> {
    const metrics = new GraphMetrics();
    const graph = new MailboxGraph(deps.client, slice.mailbox.id, deps.metrics ? [metrics, deps.metrics] : [metrics]);
    const sync: MailboxSync = {
        mailbox: slice.mailbox,
        graph,
        storage: deps.storage,
        writer: deps.storage.index.writer(slice.mailbox.id),
        options: slice.options,
        runId: slice.runId,
        now: deps.now,
        deadline: slice.deadline,
        signal: deps.signal,
        counters: emptyCounters(),
        failures: [],
        entityLock: new Limiter(1),
        deletedThisRun: new Set(),
        downloads: 0,
        log: deps.log,
        progress: deps.progress,
    };
    let status: MailboxStatus;
    let reason = '';
    const lock = await deps.storage.locks.acquire(slice.mailbox.id, slice.runId, (note) =>
        deps.log.info(`${slice.mailbox.userPrincipalName}: ${note}`),
    );
    if (!lock.acquired) {
        const reason = `another backup run (${lock.heldBy}) is working on this mailbox; it was left to that run`;
        return { status: 'failed', reason, counters: sync.counters, failures: [] };
    }
    // Once the lock is lost another run may hold the mailbox: the slice stops, and writes nothing more.
    const lease = lock.lease;
    sync.writer = writesUnderLease(sync.writer, lease, ['flush', 'flushIfFull']);
    sync.storage = {
        ...deps.storage,
        folders: writesUnderLease(deps.storage.folders, lease, ['upsert', 'upsertMany', 'saveHierarchy']),
    };
    sync.signal = deps.signal ? AbortSignal.any([deps.signal, lease.lost]) : lease.lost;
    try {
        status = await syncMailbox(sync);
    } catch (error) {
        if (classifyGraphError(error) === 'mailboxNotEnabled') {
            status = 'skipped';
            reason = 'no Exchange Online mailbox (MailboxNotEnabledForRESTAPI)';
        } else {
            status = 'failed';
            reason = toBackupError(error, `backing up ${slice.mailbox.userPrincipalName}`).userMessage;
            await sync.writer.flush().catch(() => undefined);
        }
    }
    if (lease.lost.aborted) {
        status = 'failed';
        reason = toBackupError(lease.lost.reason, `backing up ${slice.mailbox.userPrincipalName}`).userMessage;
    }
    try {
        if (!lease.lost.aborted) await snapshotChangedIndex(deps, slice.mailbox, sync.counters);
    } finally {
        await lock.lease.release();
    }
    sync.counters.graphRequests = metrics.requests;
    sync.counters.graphThrottled = metrics.throttled;
    if (status === 'incomplete' && atDownloadCap(sync) && !outOfTime(sync)) {
        status = 'succeeded';
        reason = `stopped after ${sync.downloads} downloads (the cap on downloads a run); the next run continues`;
    }
    if (status === 'succeeded' && sync.failures.length > 0) {
        status = 'partial';
        reason = `${sync.failures.length} message(s) could not be backed up`;
    }
    return { status, reason, counters: sync.counters, failures: sync.failures };
}

async function syncMailbox(sync: MailboxSync): Promise<MailboxStatus> {
    const states = new Map((await sync.storage.folders.list(sync.mailbox.id)).map((s) => [s.folderId, s]));
    const plan = await planFolders(sync, states);
    const folders = plan.folders;
    sync.progress?.({
        kind: 'folders',
        mailbox: sync.mailbox.userPrincipalName,
        total: folders.length,
        messages: folders.reduce((sum, f) => sum + f.totalItemCount, 0),
    });
    let interrupted = false;
    const gone: FolderEntity[] = [];
    await forEachConcurrently(folders, FOLDER_LANES, async (folder) => {
        const state = states.get(folder.id);
        if (state?.lastRunId === sync.runId) return; // finished by an earlier slice of this run
        if (interrupted || outOfTime(sync)) {
            interrupted = true;
            return;
        }
        const result = await syncFolder(sync, folder, state);
        if (result === 'interrupted') interrupted = true;
        else if (result === 'gone' && state) gone.push(state);
        else sync.progress?.({ kind: 'folderDone', mailbox: sync.mailbox.userPrincipalName, folder: folder.path });
    });
    if (interrupted) return 'incomplete';
    await retireFolders(sync, [...plan.removed, ...gone]);
    await plan.commit();
    return 'succeeded';
}
