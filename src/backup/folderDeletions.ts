import type { MailFolderInfo } from '../graph/folders';
import type { FolderEntity } from '../store/entities';
import type { MailboxSync } from './mailboxContext';

/**
 * Marks messages deleted that left this folder: those Graph reported `@removed`, and — at the end
 * of a sync from scratch — those the index still holds in the folder that the listing did not
 * touch since `listedSince`. A message that left for another folder is not deleted: either that
 * folder took it over already (its row names that folder), or it revives the row when it sees it
 * (deletedThisRun keeps the counts right).
 *
 * Under the mailbox's entity lock, on fresh reads, because a folder synced at the same time may be
 * taking the message over (see recordMetadataChange).
 */
export async function applyDeletions(
    sync: MailboxSync,
    folder: MailFolderInfo,
    removed: Set<string>,
    listedSince?: string,
): Promise<void> {
    if (removed.size === 0 && listedSince === undefined) return;
    const now = sync.now().toISOString();
    await sync.entityLock.run(async () => {
        await sync.writer.flush();
        const candidates = await sync.storage.index.getMany(sync.mailbox.id, [...removed]);
        if (listedSince !== undefined) {
            for await (const entity of sync.storage.index.listFolder(sync.mailbox.id, folder.id)) {
                if (entity.lastSeenAt < listedSince) candidates.set(entity.messageId, entity);
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

/**
 * Folders gone from the mailbox: whatever the index still holds in them (messages not moved elsewhere before the
 * folder was deleted) was deleted with them. Runs only after every live folder was synced, so moves out of them have
 * been seen first. A retired folder's links are dropped: should it come back, it is read from scratch.
 */
export async function retireFolders(sync: MailboxSync, folders: FolderEntity[]): Promise<void> {
    const now = sync.now().toISOString();
    for (const state of folders) {
        for await (const entity of sync.storage.index.listFolder(sync.mailbox.id, state.folderId)) {
            if (entity.deletedAt) continue;
            sync.writer.upsertMessage({ ...entity, deletedAt: now });
            sync.counters.messagesDeleted++;
            await sync.writer.flushIfFull();
        }
        await sync.writer.flush();
        await sync.storage.folders.upsert({ ...state, removedAt: now, deltaLink: '', pendingLink: '' });
    }
}
