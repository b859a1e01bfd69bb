import { isAmbiguousWriteFailure, type MailWriter } from '../graph/mailWriter';
import type { MessageAsOf } from '../recovery/pointInTime';
import type { ContentStore } from '../store/contentStore';
import type { RestoredItemEntity, RestoreHistory } from '../store/restoreHistory';
import { openBackedUpMessage } from './backedUpMessage';
import { RESTORED_FROM_PROPERTY, restoredMessage } from './messageFields';
import { restoreAttachments } from './restoreAttachments';
import type { RestoreFolders } from './restoreFolders';

/**
 * How a message is recreated: from its backed-up MIME (the .eml; the JSON copy only when the backup has no .eml),
 * as a JSON message with the original headers, body, dates and state (messageFields.ts), then each attachment
 * (restoreAttachments.ts). What comes back exactly and what approximately: docs/restore.md.
 */

/** Attempts at one message when Graph's answer to adding an attachment was lost. */
const MESSAGE_ATTEMPTS = 3;

export interface MessageRestoreContext {
    restoreId: string;
    writer: MailWriter;
    content: ContentStore;
    restores: RestoreHistory;
    folders: RestoreFolders;
    now: () => Date;
}

export interface RestoredMessage {
    targetMessageId: string;
    bytesUploaded: number;
    /** Parts brought back in the nearest faithful form (a forwarded message as its .eml). */
    partsApproximated: number;
    /** Parts that could not be restored with it. */
    warnings: string[];
}

/**
 * Recreates one message in the target. `previous` is what an earlier call of the same restore recorded: a
 * message created but not completed then is deleted first, so it never appears twice.
 */
export async function restoreMessage(
    ctx: MessageRestoreContext,
    message: MessageAsOf,
    previous: RestoredItemEntity | undefined,
): Promise<RestoredMessage> {
    const source = await openBackedUpMessage(ctx.content, message);
    const restoredFrom = `${ctx.restoreId}/${message.messageId}`;
    if (previous?.state === 'creating') {
        // An earlier attempt stopped between asking Graph to create the message and hearing its id: find it by
        // the property every restored message carries, so it is not left behind as a duplicate.
        await deleteMarked(ctx.writer, restoredFrom);
    } else if (previous) {
        await ctx.writer.deleteMessage(previous.targetMessageId);
    }
    const record = (state: RestoredItemEntity['state'], targetMessageId: string) =>
        ctx.restores.recordItem({
            restoreId: ctx.restoreId,
            sourceMessageId: message.messageId,
            sha256: message.sha256,
            targetMessageId,
            state,
            updatedAt: ctx.now().toISOString(),
        });
    const folderId = await ctx.folders.folderFor(message.folderNames);
    const fields = restoredMessage(source.message, message, restoredFrom);
    for (let attempt = 1; ; attempt++) {
        await record('creating', '');
        const targetMessageId = await ctx.writer.createMessage(folderId, fields, {
            propertyId: RESTORED_FROM_PROPERTY,
            value: restoredFrom,
        });
        if (source.message.attachments.length === 0) {
            await record('restored', targetMessageId);
            return { targetMessageId, bytesUploaded: 0, partsApproximated: 0, warnings: [] };
        }
        await record('created', targetMessageId);
        try {
            const attachments = await restoreAttachments(ctx.writer, targetMessageId, source);
            await record('restored', targetMessageId);
            return { targetMessageId, ...attachments };
        } catch (error) {
            // An attachment may or may not have been added: start the message over rather than risk a second copy.
            if (!isAmbiguousWriteFailure(error) || attempt >= MESSAGE_ATTEMPTS) throw error;
            await ctx.writer.deleteMessage(targetMessageId);
        }
    }
}

async function deleteMarked(writer: MailWriter, restoredFrom: string): Promise<void> {
    for (const id of await writer.findMessagesWithProperty(RESTORED_FROM_PROPERTY, restoredFrom)) {
        await writer.deleteMessage(id);
    }
}
