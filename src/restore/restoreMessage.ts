import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import type { Message, Recipient } from '@microsoft/microsoft-graph-types';

import { BackupError } from '../errors';
import { type MailWriter, type NewAttachment, type NewMessage, UPLOAD_SESSION_THRESHOLD } from '../graph/mailWriter';
import type { MessageAsOf } from '../recovery/pointInTime';
import type { ContentStore } from '../store/contentStore';
import type { RestoredItemEntity, RestoreHistory } from '../store/restoreHistory';
import type { RestoreFolders } from './restoreFolders';

/**
 * How a message is recreated: as JSON, from the backup's JSON copy, with the extended properties Corso's restore
 * sets (graph-facts §10, prior-art (b) 10). Importing the MIME instead would keep every header byte for byte, but
 * Graph makes every message created from MIME a draft, with no documented way to clear the flag, and caps it at
 * 4 MB; the beta importMime needs a further permission. So:
 *   PidTagMessageFlags (Integer 0x0E07) = 4        not a draft (MSGFLAG_UNSENT clear), as Corso does;
 *   PidTagClientSubmitTime (SystemTime 0x0039)     the original sent time;
 *   PidTagMessageDeliveryTime (SystemTime 0x0E06)  the original received time;
 * and our own named property carrying `<restore id>/<source message id>`, so a restored message can be told from
 * the original. Subject, sender, recipients, body and importance come from the JSON copy; read state, flag and
 * categories from the index; attachments from their blobs: up to 3 MB in one request, larger ones through an
 * upload session. A draft is restored as a draft.
 *
 * A backup made with `--format eml` has no JSON copy: rebuilding sender, recipients and body from the MIME would
 * take a MIME parser, so such a message is refused with a message saying so (export gives its exact .eml).
 */

const MESSAGE_FLAGS = 'Integer 0x0E07';
const SUBMIT_TIME = 'SystemTime 0x0039';
const DELIVERY_TIME = 'SystemTime 0x0E06';
/** MSGFLAG_SUBMIT without MSGFLAG_UNSENT: what Corso sends for a non-draft; MSGFLAG_UNSENT (8) keeps a draft one. */
const FLAGS_SENT = '4';
const FLAGS_DRAFT = '8';
export const RESTORED_FROM_PROPERTY = 'String {6f3c52a4-0d8e-4b7a-9c1e-2a5b8d7e4f10} Name MailBackupRestoredFrom';

/** The JSON copy as the backup writes it (src/backup/messageContent.ts). */
interface JsonCopy {
    subject?: string | null;
    from?: Recipient | null;
    sender?: Recipient | null;
    toRecipients?: Recipient[] | null;
    ccRecipients?: Recipient[] | null;
    bccRecipients?: Recipient[] | null;
    replyTo?: Recipient[] | null;
    sentDateTime?: string | null;
    receivedDateTime?: string | null;
    importance?: Message['importance'];
    body?: Message['body'];
    attachments?: JsonCopyAttachment[];
}

interface JsonCopyAttachment {
    name: string;
    contentType: string;
    size: number;
    isInline: boolean;
    kind: string;
    contentId?: string;
    blob?: string;
    contentBytes?: string;
}

/** A message that cannot be restored from what the backup holds; the restore goes on with the others. */
export class UnrestorableMessageError extends BackupError {}

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
    /** Parts that could not be restored with it (an attached message, a cloud link). */
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
    if (!message.jsonBlob) {
        throw new UnrestorableMessageError(
            'it was backed up without its JSON copy (backup --format eml), which a restore needs to recreate it as a ' +
                'non-draft; back it up with --format both, or use export to get its .eml',
        );
    }
    const copy = JSON.parse((await buffer(await ctx.content.openRead(message.jsonBlob))).toString('utf8')) as JsonCopy;
    const attachments = copy.attachments ?? [];
    const files = attachments.filter((a) => a.kind === 'fileAttachment');
    const missing = files.find((a) => !a.blob && !a.contentBytes);
    if (missing) {
        throw new UnrestorableMessageError(
            `the content of its attachment "${missing.name}" was not backed up (backup --no-attachments)`,
        );
    }
    const warnings = attachments
        .filter((a) => a.kind !== 'fileAttachment')
        .map((a) => `its attachment "${a.name}" (${a.kind}) was not restored: the backup keeps no content for it`);

    const restoredFrom = `${ctx.restoreId}/${message.messageId}`;
    if (previous?.state === 'creating') {
        // An earlier attempt stopped between asking Graph to create the message and hearing its id: find it by
        // the property every restored message carries, so it is not left behind as a duplicate.
        for (const id of await ctx.writer.findMessagesWithProperty(RESTORED_FROM_PROPERTY, restoredFrom)) {
            await ctx.writer.deleteMessage(id);
        }
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
    await record('creating', '');
    const targetMessageId = await ctx.writer.createMessage(folderId, newMessage(copy, message, restoredFrom));
    let bytesUploaded = 0;
    if (files.length > 0) {
        await record('created', targetMessageId);
        for (const attachment of files) bytesUploaded += await restoreAttachment(ctx, targetMessageId, attachment);
    }
    await record('restored', targetMessageId);
    return { targetMessageId, bytesUploaded, warnings };
}

function newMessage(copy: JsonCopy, message: MessageAsOf, restoredFrom: string): NewMessage {
    const properties = [
        { id: MESSAGE_FLAGS, value: message.isDraft ? FLAGS_DRAFT : FLAGS_SENT },
        { id: RESTORED_FROM_PROPERTY, value: restoredFrom },
    ];
    const sent = copy.sentDateTime;
    const received = copy.receivedDateTime ?? message.receivedAt;
    if (sent) properties.push({ id: SUBMIT_TIME, value: sent });
    if (received) properties.push({ id: DELIVERY_TIME, value: received });
    return {
        subject: copy.subject,
        body: copy.body,
        from: copy.from,
        sender: copy.sender,
        toRecipients: copy.toRecipients,
        ccRecipients: copy.ccRecipients,
        bccRecipients: copy.bccRecipients,
        replyTo: copy.replyTo,
        importance: copy.importance,
        isRead: message.isRead,
        flag: { flagStatus: message.flagStatus || 'notFlagged' },
        categories: message.categories,
        singleValueExtendedProperties: properties,
    };
}

/** Adds one file attachment from its blob; returns the bytes uploaded. */
async function restoreAttachment(
    ctx: MessageRestoreContext,
    targetMessageId: string,
    attachment: JsonCopyAttachment,
): Promise<number> {
    const meta: NewAttachment = {
        name: attachment.name,
        contentType: attachment.contentType || 'application/octet-stream',
        isInline: attachment.isInline,
        ...(attachment.contentId ? { contentId: attachment.contentId } : {}),
    };
    if (attachment.contentBytes !== undefined) {
        const bytes = Buffer.from(attachment.contentBytes, 'base64');
        await ctx.writer.addAttachment(targetMessageId, meta, bytes);
        return bytes.length;
    }
    const blob = attachment.blob ?? '';
    // Graph's `size` of an attachment is not its byte count; the blob's length is.
    const size = await blobSize(ctx.content, blob);
    const stream = Readable.from(await ctx.content.openRead(blob));
    try {
        if (size <= UPLOAD_SESSION_THRESHOLD) {
            await ctx.writer.addAttachment(targetMessageId, meta, await buffer(stream));
        } else {
            await ctx.writer.uploadAttachment(targetMessageId, meta, size, stream);
        }
    } finally {
        stream.destroy();
    }
    return size;
}

async function blobSize(content: ContentStore, blobName: string): Promise<number> {
    for await (const blob of content.listBlobs(blobName)) if (blob.name === blobName) return blob.size;
    throw new UnrestorableMessageError(`the content of one of its attachments is missing from storage (${blobName})`);
}
