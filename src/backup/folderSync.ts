import type { MailFolderInfo } from '../graph/folders';
import { classifyGraphError, describe } from '../graph/graphErrors';
import { type DeltaMessage, deltaPages, getMessageMetadata, initialDeltaUrl } from '../graph/messages';
import type { FolderEntity } from '../store/entities';
import { jsonArrayWithin } from '../store/tableLimits';
import { forEachConcurrently } from '../common/concurrency';
import { atDownloadCap, type MailboxSync, outOfTime } from './mailboxContext';
import { applyDeletions } from './folderDeletions';
import { newFolderRow } from './folderHierarchy';
import { syncMessage } from './messageSync';

/**
 * Messages handled at once within a page. More than the mailbox's four Graph slots, so that
 * table lookups and blob writes of one message overlap the downloads of others.
 */
const MESSAGE_LANES = 6;

/** How many failed downloads a folder remembers for its next sync. */
const MAX_RETRY_IDS = 200;

/** 'gone': the folder no longer exists (its delta answered 404); the mailbox retires it once the others are synced. */
export type FolderResult = 'done' | 'interrupted' | 'gone';

/**
 * One folder's incremental sync through its message delta (docs/graph-behaviour.md, "Message delta"):
 * - from the stored deltaLink (incremental), a checkpointed nextLink (resume), or from scratch
 *   (full runs, new folders, and when Graph says the token expired);
 * - each page is committed to the index before its nextLink is checkpointed, so a killed process
 *   resumes at the page it was on and re-downloads nothing it had stored;
 * - `@removed` means gone from this folder: deleted, or moved (then seen again in its new folder
 *   with the same immutable id); deletions are applied once the whole folder has been read;
 * - after a sync from scratch, messages the index holds in this folder that Graph no longer
 *   listed are deleted (this is what reconciles a full run and an expired-token resync).
 */
export async function syncFolder(
    sync: MailboxSync,
    folder: MailFolderInfo,
    state: FolderEntity | undefined,
): Promise<FolderResult> {
    const retryIds = new Set<string>(state?.retryIds ? (JSON.parse(state.retryIds) as string[]) : []);
    let round = startingRound(sync, folder, state);
    try {
        if (retryIds.size > 0) await retryFailedMessages(sync, folder, retryIds);
        for (let attempt = 0; ; attempt++) {
            try {
                return await readDelta(sync, folder, state, round, retryIds);
            } catch (error) {
                if (attempt > 0 || round.fresh || classifyGraphError(error) !== 'deltaExpired') throw error;
                sync.log.info(
                    `${sync.mailbox.userPrincipalName}: delta token of ${folder.path} expired; resynchronising the folder`,
                );
                round = freshRound(sync, folder);
            }
        }
    } catch (error) {
        return skipUnreadableFolder(sync, folder, error);
    }
}

/**
 * Where a folder's sync starts. A round from scratch (full runs, new folders, expired tokens) lists
 * every message and then deletes what it did not list; it is resumable like any other, because the
 * messages it listed carry `lastSeenAt` from after its start.
 */
interface Round {
    url: string;
    fresh: boolean;
    /** Set for a round from scratch: when it started. */
    reconcileSince?: string;
}

function startingRound(sync: MailboxSync, folder: MailFolderInfo, state: FolderEntity | undefined): Round {
    const resumable =
        !!state?.pendingLink && (sync.options.type === 'incremental' || state.pendingRunId === sync.runId);
    if (resumable) return { url: state.pendingLink, fresh: false, reconcileSince: state.roundStartedAt || undefined };
    if (sync.options.type === 'full' || !state?.deltaLink) return freshRound(sync, folder);
    return { url: state.deltaLink, fresh: false };
}

function freshRound(sync: MailboxSync, folder: MailFolderInfo): Round {
    return { url: initialDeltaUrl(sync.graph, folder.id), fresh: true, reconcileSince: sync.now().toISOString() };
}

/**
 * A folder deleted since the folder delta was read (404) is gone: the folder delta may never report it (a folder
 * created and deleted between two runs), so it is retired on this answer. One the app may not read (403) is left
 * out of this run rather than failing the mailbox: the next run retries it.
 */
function skipUnreadableFolder(sync: MailboxSync, folder: MailFolderInfo, error: unknown): FolderResult {
    const kind = classifyGraphError(error);
    if (kind === 'notFound') {
        sync.log.info(`${sync.mailbox.userPrincipalName}: folder ${folder.path} disappeared during the backup`);
        return 'gone';
    }
    if (kind === 'accessDenied') {
        sync.failures.push({ id: folder.id, subject: '(whole folder)', folder: folder.path, error: describe(error) });
        return 'done';
    }
    throw error;
}

/**
 * Reads the round page by page. Each page is committed — its messages, its deletions, then the
 * link to the next page — before the next is read, so a process killed at any point resumes at
 * the page it was on and re-downloads nothing it had stored.
 */
async function readDelta(
    sync: MailboxSync,
    folder: MailFolderInfo,
    state: FolderEntity | undefined,
    round: Round,
    retryIds: Set<string>,
): Promise<FolderResult> {
    let current = round.url;
    for await (const page of deltaPages(sync.graph, round.url)) {
        const live = page.value.filter((m) => !m['@removed']);
        const removed = new Set(page.value.filter((m) => m['@removed']).map((m) => m.id));
        live.forEach((m) => removed.delete(m.id));
        const complete = await syncPage(sync, folder, live, retryIds, round.reconcileSince !== undefined);
        await sync.writer.flush();
        sync.progress?.({
            kind: 'messages',
            mailbox: sync.mailbox.userPrincipalName,
            processed: page.value.length,
            downloaded: sync.downloads,
            bytes: sync.counters.bytesDownloaded,
        });
        // A page cut short by the download cap is read again next time: its link is not advanced.
        if (!complete) {
            await saveState(sync, folder, state, { pendingLink: current, round, retryIds });
            return 'interrupted';
        }
        const nextLink = page['@odata.nextLink'];
        if (!nextLink) {
            await applyDeletions(sync, folder, removed, round.reconcileSince);
            await saveState(sync, folder, state, { deltaLink: page['@odata.deltaLink'] ?? '', round, retryIds });
            return 'done';
        }
        await applyDeletions(sync, folder, removed);
        await saveState(sync, folder, state, { pendingLink: nextLink, round, retryIds });
        current = nextLink;
        if (outOfTime(sync) || atDownloadCap(sync)) return 'interrupted';
    }
    throw new Error(`Delta of ${folder.path} ended without a deltaLink`);
}

/** Downloads that failed last time are not reported by delta again: fetch them by id. */
async function retryFailedMessages(sync: MailboxSync, folder: MailFolderInfo, retryIds: Set<string>): Promise<void> {
    const messages: DeltaMessage[] = [];
    for (const id of [...retryIds]) {
        try {
            const message = await getMessageMetadata(sync.graph, id);
            if (message.parentFolderId === folder.id) messages.push(message);
            else retryIds.delete(id); // moved: its new folder's delta reports it
        } catch (error) {
            if (classifyGraphError(error) !== 'notFound') throw error;
            retryIds.delete(id);
        }
    }
    await syncPage(sync, folder, messages, retryIds);
    await sync.writer.flush();
}

async function syncPage(
    sync: MailboxSync,
    folder: MailFolderInfo,
    live: DeltaMessage[],
    retryIds: Set<string>,
    touchListed = false,
): Promise<boolean> {
    if (live.length === 0) return true;
    const now = sync.now().toISOString();
    const existing = await sync.storage.index.getMany(
        sync.mailbox.id,
        live.map((m) => m.id),
    );
    let complete = true;
    await forEachConcurrently(live, MESSAGE_LANES, async (message) => {
        const known = existing.get(message.id);
        const outcome = await syncMessage(sync, folder, message, known);
        // A round from scratch marks what it listed; what it did not is deleted at its end.
        if (touchListed && known && outcome !== 'stored' && outcome !== 'updated') {
            sync.writer.upsertMessage({ ...known, lastSeenAt: now });
        }
        if (outcome === 'capped') complete = false;
        if (outcome === 'failed' && retryIds.size < MAX_RETRY_IDS) retryIds.add(message.id);
        if (outcome === 'stored' || outcome === 'updated' || outcome === 'unchanged') retryIds.delete(message.id);
        await sync.writer.flushIfFull();
    });
    return complete;
}

async function saveState(
    sync: MailboxSync,
    folder: MailFolderInfo,
    previous: FolderEntity | undefined,
    change: { deltaLink?: string; pendingLink?: string; round: Round; retryIds: Set<string> },
): Promise<void> {
    const done = change.pendingLink === undefined;
    await sync.storage.folders.upsert({
        ...newFolderRow(sync, folder),
        deltaLink: done ? (change.deltaLink ?? '') : (previous?.deltaLink ?? ''),
        pendingLink: change.pendingLink ?? '',
        pendingRunId: done ? '' : sync.runId,
        roundStartedAt: done ? '' : (change.round.reconcileSince ?? ''),
        retryIds: jsonArrayWithin(change.retryIds), // ids past one property's bytes: the next full backup
        lastSyncedAt: done ? sync.now().toISOString() : (previous?.lastSyncedAt ?? ''),
        lastRunId: done ? sync.runId : (previous?.lastRunId ?? ''),
        removedAt: '',
    });
}
