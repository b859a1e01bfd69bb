import type { MailFolderInfo } from '../graph/folders';
import { classifyGraphError } from '../graph/graphErrors';
import { type DeltaMessage, deltaPages, getMessageMetadata, initialDeltaUrl } from '../graph/messages';
import type { FolderEntity } from '../store/entities';
import { toTableKey } from '../store/tableKeys';
import { forEachConcurrently } from '../graph/limiter';
import { atDownloadCap, type MailboxSync, outOfTime } from './mailboxContext';
import { syncMessage } from './messageSync';

/**
 * Messages handled at once within a page. More than the mailbox's four Graph slots, so that
 * table lookups and blob writes of one message overlap the downloads of others.
 */
const MESSAGE_LANES = 6;

/** How many failed downloads a folder remembers for its next sync. */
const MAX_RETRY_IDS = 200;

export type FolderResult = 'done' | 'interrupted';

/**
 * One folder's incremental sync through its message delta (graph-facts §5):
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
    const resumable =
        !!state?.pendingLink && (sync.options.type === 'incremental' || state.pendingRunId === sync.runId);
    let start = resumable ? state.pendingLink : sync.options.type === 'full' ? '' : (state?.deltaLink ?? '');
    const retryIds = new Set<string>(state?.retryIds ? (JSON.parse(state.retryIds) as string[]) : []);
    if (retryIds.size > 0) await retryFailedMessages(sync, folder, retryIds);
    for (let attempt = 0; ; attempt++) {
        const reconcile = start === '';
        try {
            const outcome = await readDelta(
                sync,
                folder,
                start || initialDeltaUrl(sync.graph, folder.id),
                reconcile,
                retryIds,
            );
            if (outcome.interruptedAt !== undefined) {
                await saveState(sync, folder, state, { pendingLink: outcome.interruptedAt, retryIds });
                return 'interrupted';
            }
            await saveState(sync, folder, state, { deltaLink: outcome.deltaLink, retryIds });
            return 'done';
        } catch (error) {
            if (attempt === 0 && start && classifyGraphError(error) === 'deltaExpired') {
                sync.log.info(
                    `${sync.mailbox.userPrincipalName}: delta token of ${folder.path} expired; resynchronising the folder`,
                );
                start = '';
                continue;
            }
            throw error;
        }
    }
}

interface DeltaOutcome {
    deltaLink: string;
    /** The link to continue from when the folder was left before its end. */
    interruptedAt?: string;
}

async function readDelta(
    sync: MailboxSync,
    folder: MailFolderInfo,
    url: string,
    reconcile: boolean,
    retryIds: Set<string>,
): Promise<DeltaOutcome> {
    const seen = new Set<string>();
    const removed = new Set<string>();
    let next = url;
    for await (const page of deltaPages(sync.graph, url)) {
        const live: DeltaMessage[] = [];
        for (const message of page.value) {
            if (message['@removed']) removed.add(message.id);
            else live.push(message);
        }
        for (const message of live) {
            removed.delete(message.id);
            seen.add(message.id);
        }
        const complete = await syncPage(sync, folder, live, retryIds);
        await sync.writer.flush();
        sync.progress?.({
            kind: 'messages',
            mailbox: sync.mailbox.userPrincipalName,
            processed: page.value.length,
            downloaded: sync.downloads,
            bytes: sync.counters.bytesDownloaded,
        });
        // A page cut short by the download cap is read again next time: its link is not advanced.
        if (!complete) return { deltaLink: '', interruptedAt: next };
        const nextLink = page['@odata.nextLink'];
        if (!nextLink) {
            await applyDeletions(sync, folder, removed, reconcile ? seen : undefined);
            return { deltaLink: page['@odata.deltaLink'] ?? '' };
        }
        next = nextLink;
        if (outOfTime(sync) || atDownloadCap(sync)) {
            // The pages read so far will not be served again: apply their deletions now.
            await applyDeletions(sync, folder, removed, undefined);
            return { deltaLink: '', interruptedAt: next };
        }
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
): Promise<boolean> {
    if (live.length === 0) return true;
    const existing = await sync.storage.index.getMany(
        sync.mailbox.id,
        live.map((m) => m.id),
    );
    let complete = true;
    await forEachConcurrently(live, MESSAGE_LANES, async (message) => {
        const outcome = await syncMessage(sync, folder, message, existing.get(message.id));
        if (outcome === 'capped') complete = false;
        if (outcome === 'failed' && retryIds.size < MAX_RETRY_IDS) retryIds.add(message.id);
        if (outcome === 'stored' || outcome === 'updated' || outcome === 'unchanged') retryIds.delete(message.id);
        await sync.writer.flushIfFull();
    });
    return complete;
}

/**
 * Marks messages deleted that left this folder and are not (yet) known in another one. A message
 * moved to a folder synced later in the run is revived there (deletedThisRun keeps counts right).
 * Under the entity lock, on fresh reads: a folder synced at the same time may be taking the
 * message over (see recordMetadataChange).
 */
async function applyDeletions(
    sync: MailboxSync,
    folder: MailFolderInfo,
    removed: Set<string>,
    listed: Set<string> | undefined,
): Promise<void> {
    const now = sync.now().toISOString();
    await sync.entityLock.run(async () => {
        await sync.writer.flush();
        const candidates = await sync.storage.index.getMany(sync.mailbox.id, [...removed]);
        if (listed) {
            for await (const entity of sync.storage.index.listFolder(sync.mailbox.id, folder.id)) {
                if (!listed.has(entity.messageId)) candidates.set(entity.messageId, entity);
            }
        }
        for (const entity of candidates.values()) {
            if (entity.folderId !== folder.id || entity.deletedAt) continue;
            sync.writer.upsertMessage({ ...entity, deletedAt: now });
            sync.deletedThisRun.add(entity.messageId);
            sync.counters.messagesDeleted++;
            await sync.writer.flushIfFull();
        }
        await sync.writer.flush();
    });
}

async function saveState(
    sync: MailboxSync,
    folder: MailFolderInfo,
    previous: FolderEntity | undefined,
    change: { deltaLink?: string; pendingLink?: string; retryIds: Set<string> },
): Promise<void> {
    const done = change.pendingLink === undefined;
    await sync.storage.folders.upsert({
        partitionKey: sync.mailbox.id,
        rowKey: toTableKey(folder.id),
        folderId: folder.id,
        displayName: folder.displayName,
        parentFolderId: folder.parentFolderId,
        path: folder.path,
        deltaLink: done ? (change.deltaLink ?? '') : (previous?.deltaLink ?? ''),
        pendingLink: change.pendingLink ?? '',
        pendingRunId: done ? '' : sync.runId,
        retryIds: JSON.stringify([...change.retryIds]),
        lastSyncedAt: done ? sync.now().toISOString() : (previous?.lastSyncedAt ?? ''),
        lastRunId: done ? sync.runId : (previous?.lastRunId ?? ''),
        removedAt: '',
    });
}
