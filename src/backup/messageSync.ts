import { StorageError } from '../common/errors';
import { classifyGraphError, describe } from '../graph/graphErrors';
import type { MailFolderInfo } from '../graph/folders';
import { type DeltaMessage, messageSize } from '../graph/messages';
import type { MessageEntity, VersionEntity } from '../store/entities';
import { placementRowKey } from '../store/messageIndex';
import { toTableKey, versionRowKey } from '../store/tableKeys';
import { classifyChange } from './changeDetection';
import { atDownloadCap, type MailboxSync, outOfTime } from './mailboxContext';
import { storeMessage, type StoredMessage } from './messageContent';

const DOWNLOAD_ATTEMPTS = 3;

export type MessageOutcome = 'stored' | 'updated' | 'unchanged' | 'failed' | 'capped';

/**
 * Brings one message reported by Graph into the index: downloads it only when it is new or its
 * content changed, otherwise records what changed about it. Queues index writes on the writer;
 * the caller flushes.
 */
export async function syncMessage(
    sync: MailboxSync,
    folder: MailFolderInfo,
    message: DeltaMessage,
    existing: MessageEntity | undefined,
): Promise<MessageOutcome> {
    const change = classifyChange(message, folder.id, existing);
    if (change === 'unchanged') {
        sync.counters.messagesUnchanged++;
        return 'unchanged';
    }
    if (change === 'updated' && existing) return recordMetadataChange(sync, folder, message, existing);
    // Out of downloads or of time: the page is read again next time, and what this one stored is skipped then.
    if (atDownloadCap(sync) || outOfTime(sync)) return 'capped';
    sync.downloads++;
    const stored = await download(sync, folder, message);
    if (!stored) return 'failed';
    sync.counters.bytesDownloaded += stored.bytesDownloaded;
    sync.counters.bytesStored += stored.bytesStored;
    // A draft touched without a change to its bytes: nothing new to keep.
    if (existing?.sha256 === stored.sha256) return recordMetadataChange(sync, folder, message, existing);
    recordNewVersion(sync, folder, message, existing, stored);
    return 'stored';
}

/** The message's content, stored; undefined (and recorded as a failed item) when it could not be. */
async function download(
    sync: MailboxSync,
    folder: MailFolderInfo,
    message: DeltaMessage,
): Promise<StoredMessage | undefined> {
    try {
        return await downloadWithRetries(sync, message);
    } catch (error) {
        // Storage failing is not this message's fault: let it end the mailbox, which is retried whole.
        if (isStorageFailure(error)) throw error;
        const subject = message.subject ?? '';
        sync.counters.messagesFailed++;
        sync.failures.push({ id: message.id, subject, folder: folder.path, error: describe(error) });
        sync.log.warn(
            `${sync.mailbox.userPrincipalName}: could not back up "${subject || message.id}" in ${folder.path}: ${describe(error)}`,
        );
        return undefined;
    }
}

/** New content: the message row points at it, and the version it replaces is closed, not dropped. */
function recordNewVersion(
    sync: MailboxSync,
    folder: MailFolderInfo,
    message: DeltaMessage,
    existing: MessageEntity | undefined,
    stored: StoredMessage,
): void {
    const now = sync.now().toISOString();
    const previous = existing?.sha256 ? existing : undefined;
    if (previous) sync.writer.upsertVersion({ ...versionOf(previous), validTo: now });
    const placedSince = existing ? keepPlacement(sync, folder, existing, now) : now;
    const entity: MessageEntity = {
        partitionKey: sync.mailbox.id,
        rowKey: toTableKey(message.id),
        messageId: message.id,
        ...metadataOf(sync, folder, message),
        sha256: stored.sha256,
        size: stored.size,
        emlBlob: stored.emlBlob,
        jsonBlob: stored.jsonBlob,
        attachmentCount: stored.attachments.length,
        version: previous ? previous.version + 1 : 1,
        contentSince: now,
        firstSeenAt: existing?.firstSeenAt || now,
        lastSeenAt: now,
        deletedAt: '',
        placedSince,
    };
    sync.writer.upsertMessage(entity);
    sync.writer.upsertVersion(versionOf(entity));
    for (const attachment of stored.attachments) sync.writer.upsertAttachment(attachment);
    if (previous) sync.counters.messagesChanged++;
    else sync.counters.messagesNew++;
}

/**
 * A move (or a message seen again after it was marked deleted) changes which folder owns the
 * message, which another folder of the same mailbox may be deciding at the same moment (the
 * source applying its `@removed`). Both decisions are made under the mailbox's entity lock on a
 * fresh read; other metadata changes touch only this folder's messages and need no lock.
 */
async function recordMetadataChange(
    sync: MailboxSync,
    folder: MailFolderInfo,
    message: DeltaMessage,
    existing: MessageEntity,
): Promise<MessageOutcome> {
    const update = (current: MessageEntity) => {
        if (current.deletedAt && sync.deletedThisRun.delete(message.id)) sync.counters.messagesDeleted--;
        const now = sync.now().toISOString();
        sync.writer.upsertMessage({
            ...current,
            ...metadataOf(sync, folder, message),
            lastSeenAt: now,
            deletedAt: '',
            placedSince: keepPlacement(sync, folder, current, now),
        });
    };
    if (existing.folderId === folder.id && !existing.deletedAt) {
        update(existing);
    } else {
        await sync.entityLock.run(async () => {
            await sync.writer.flush();
            update((await sync.storage.index.get(sync.mailbox.id, message.id)) ?? existing);
            await sync.writer.flush();
        });
    }
    sync.counters.messagesUpdated++;
    return 'updated';
}

/**
 * When the message arrived where `folder` now sees it. If it was elsewhere, or deleted, the placement it
 * had is kept as history (queued before the message row, like a version) so a point in time before the
 * move still finds it in the folder it was in then.
 */
function keepPlacement(sync: MailboxSync, folder: MailFolderInfo, current: MessageEntity, now: string): string {
    const since = current.placedSince || current.firstSeenAt;
    if (current.folderId === folder.id && !current.deletedAt) return since || now;
    if (since) {
        sync.writer.upsertPlacement({
            partitionKey: current.partitionKey,
            rowKey: placementRowKey(current.messageId, since),
            messageId: current.messageId,
            folderId: current.folderId,
            folderPath: current.folderPath,
            validFrom: since,
            validTo: current.deletedAt || now,
        });
    }
    return now;
}

function isStorageFailure(error: unknown): boolean {
    const name = (error as { name?: unknown })?.name;
    return error instanceof StorageError || name === 'RestError';
}

function metadataOf(sync: MailboxSync, folder: MailFolderInfo, message: DeltaMessage) {
    return {
        changeKey: message.changeKey ?? '',
        folderId: folder.id,
        folderPath: sync.options.folders ? folder.path : '',
        subject: message.subject ?? '',
        sender: message.from?.emailAddress?.address ?? '',
        receivedAt: message.receivedDateTime ?? '',
        internetMessageId: message.internetMessageId ?? '',
        isRead: message.isRead ?? false,
        flagStatus: message.flag?.flagStatus ?? 'notFlagged',
        categories: JSON.stringify(message.categories ?? []),
        isDraft: message.isDraft ?? false,
    };
}

function versionOf(entity: MessageEntity): VersionEntity {
    return {
        partitionKey: entity.partitionKey,
        rowKey: versionRowKey(entity.messageId, entity.version),
        messageId: entity.messageId,
        version: entity.version,
        sha256: entity.sha256,
        size: entity.size,
        changeKey: entity.changeKey,
        emlBlob: entity.emlBlob,
        jsonBlob: entity.jsonBlob,
        validFrom: entity.contentSince,
        validTo: '',
        subject: entity.subject,
    };
}

/**
 * A dropped connection in the middle of a body cannot be retried by the HTTP middleware (the
 * response had started), so the whole message is fetched again; blob writes are idempotent.
 */
async function downloadWithRetries(sync: MailboxSync, message: DeltaMessage): Promise<StoredMessage> {
    const target = { mailboxId: sync.mailbox.id, messageId: message.id, sizeHint: messageSize(message) };
    for (let attempt = 1; ; attempt++) {
        try {
            return await storeMessage(sync.graph, sync.storage.content, target, sync.options);
        } catch (error) {
            const kind = classifyGraphError(error);
            if (attempt >= DOWNLOAD_ATTEMPTS || (kind !== 'transient' && kind !== 'throttled')) throw error;
            await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        }
    }
}
