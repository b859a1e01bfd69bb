import { isAmbiguousWriteFailure, type MailWriter } from '../graph/mailWriter';
import type { MessageAsOf } from '../recovery/pointInTime';
import type { ContentStore } from '../store/contentStore';
import type { RestoredItemEntity } from '../store/restoreHistory';
import { openBackedUpMessage } from './backedUpMessage';
import type { ItemRecorder } from './itemRecorder';
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
    records: ItemRecorder;
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
 * Recreates one message in the target, once the caller has recorded it as `creating`. `previous` is what an earlier
 * call of the same restore recorded: a message it may have created but not completed is found by its restored-from
 * property and deleted first, so it never appears twice.
 */
export async function restoreMessage(
    ctx: MessageRestoreContext,
    message: MessageAsOf,
    previous: RestoredItemEntity | undefined,
): Promise<RestoredMessage> {
    const source = await openBackedUpMessage(ctx.content, message);
    const restoredFrom = `${ctx.restoreId}/${message.messageId}`;
    if (previous?.state === 'creating') {
        // An earlier call recorded it as about to be created and did not finish it: Graph may have made it. Find it
        // by the property every restored message carries, so it is not left behind as a duplicate.
        await deleteMarked(ctx.writer, restoredFrom);
    } else if (previous) {
        await ctx.writer.deleteMessage(previous.targetMessageId);
    }
    const folderId = await ctx.folders.folderFor(message.folderNames);
    const fields = restoredMessage(source.message, message, restoredFrom);
    // The caller recorded the message as `creating` before this: whatever happens from here, a rerun looks for it.
    for (let attempt = 1; ; attempt++) {
        const targetMessageId = await ctx.writer.createMessage(folderId, fields, {
            propertyId: RESTORED_FROM_PROPERTY,
            value: restoredFrom,
        });
        try {
            const attachments = await restoreAttachments(ctx.writer, targetMessageId, source);
            await ctx.records.restored({
                sourceMessageId: message.messageId,
                sha256: message.sha256,
                targetMessageId,
                state: 'restored',
                updatedAt: ctx.now().toISOString(),
            });
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
