/**
 * Every attachment of a restored message, added to the created message in the order the MIME holds them:
 *   - a file (inline images with their Content-ID, so the body's `cid:` links resolve): up to 3 MB in one request,
 *     larger through an upload session, streamed;
 *   - a forwarded message (message/rfc822): an item attachment built from its own MIME;
 *   - a cloud link (message/external-body naming a URL): a reference attachment.
 * Where Graph cannot create one of these exactly, the part comes back in the nearest faithful form and is counted as
 * approximated (docs/restore.md): a forwarded message that has attachments of its own, or is too large for one
 * request, or that Graph refuses, is attached as its `.eml` file; a cloud link Graph refuses is attached as an
 * Internet shortcut (`.url`) to the same address.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import { GraphError } from '@microsoft/microsoft-graph-client';

import {
    isAmbiguousWriteFailure,
    type MailWriter,
    type NewAttachment,
    UPLOAD_SESSION_THRESHOLD,
} from '../graph/mailWriter';
import type { CopyAttachment } from '../mime/messageCopy';
import { readMessage } from '../mime/readMessage';
import type { BackedUpMessage } from './backedUpMessage';
import { attachedMessage } from './messageFields';

/**
 * A forwarded message up to this size is sent as an item in one JSON request: its body, escaped in JSON, stays
 * under the 4 MB request cap. A larger one is attached as its .eml.
 */
const ITEM_JSON_LIMIT = 2 * 1024 * 1024;

export interface RestoredAttachments {
    bytesUploaded: number;
    /** Parts brought back in the nearest faithful form rather than exactly. */
    partsApproximated: number;
    /** Parts the backup kept no content for (a JSON backup made with --no-attachments). */
    warnings: string[];
}

export async function restoreAttachments(
    writer: MailWriter,
    targetMessageId: string,
    source: BackedUpMessage,
): Promise<RestoredAttachments> {
    const result: RestoredAttachments = { bytesUploaded: 0, partsApproximated: 0, warnings: [] };
    await source.forEachAttachment(async (attachment, content) => {
        if (attachment.kind === 'reference') {
            if (!(await addReference(writer, targetMessageId, attachment))) result.partsApproximated++;
            return;
        }
        if (!content) {
            result.warnings.push(
                `its attachment "${attachment.name}" was not restored: the backup kept no content for it ` +
                    '(backup --no-attachments)',
            );
            return;
        }
        if (attachment.kind === 'item') {
            const exact = await addItem(writer, targetMessageId, attachment, content);
            if (!exact) result.partsApproximated++;
        } else {
            await addFile(writer, targetMessageId, fileOf(attachment), attachment.size, content);
        }
        result.bytesUploaded += attachment.size;
    });
    return result;
}

function fileOf(attachment: CopyAttachment): NewAttachment {
    return {
        name: attachment.name || 'attachment',
        contentType: attachment.contentType || 'application/octet-stream',
        isInline: attachment.isInline,
        ...(attachment.contentId ? { contentId: attachment.contentId } : {}),
    };
}

/** A file attachment of `size` decoded bytes; only one above the upload-session threshold is streamed. */
async function addFile(
    writer: MailWriter,
    messageId: string,
    meta: NewAttachment,
    size: number,
    content: Readable | Buffer,
): Promise<void> {
    if (size <= UPLOAD_SESSION_THRESHOLD) {
        await writer.addAttachment(messageId, meta, Buffer.isBuffer(content) ? content : await buffer(content));
        return;
    }
    await writer.uploadAttachment(messageId, meta, size, Buffer.isBuffer(content) ? Readable.from([content]) : content);
}

/** The forwarded message as an item attachment; false when it had to be attached as its .eml instead. */
async function addItem(
    writer: MailWriter,
    messageId: string,
    attachment: CopyAttachment,
    content: Readable,
): Promise<boolean> {
    const asEml: NewAttachment = {
        name: /\.eml$/i.test(attachment.name) ? attachment.name : `${attachment.name || 'message'}.eml`,
        contentType: 'message/rfc822',
        isInline: false,
    };
    if (attachment.size > ITEM_JSON_LIMIT) {
        await addFile(writer, messageId, asEml, attachment.size, content);
        return false;
    }
    const mime = await buffer(content);
    const forwarded = await readMessage(Readable.from([mime]));
    if (forwarded.attachments.length === 0) {
        try {
            await writer.addItemAttachment(messageId, attachment.name || forwarded.subject, attachedMessage(forwarded));
            return true;
        } catch (error) {
            if (!isRefusal(error)) throw error;
        }
    }
    await addFile(writer, messageId, asEml, mime.length, mime);
    return false;
}

/** The cloud link as a reference attachment; false when it had to be attached as an Internet shortcut instead. */
async function addReference(writer: MailWriter, messageId: string, attachment: CopyAttachment): Promise<boolean> {
    const url = attachment.sourceUrl ?? '';
    try {
        await writer.addReferenceAttachment(messageId, attachment.name || url, url);
        return true;
    } catch (error) {
        if (!isRefusal(error)) throw error;
    }
    const shortcut = Buffer.from(`[InternetShortcut]\r\nURL=${url}\r\n`, 'utf8');
    const name = `${attachment.name || 'link'}.url`;
    await writer.addAttachment(
        messageId,
        { name, contentType: 'application/internet-shortcut', isInline: false },
        shortcut,
    );
    return false;
}

/** Graph said no to this part (400, 413, 422...): another form may pass. Throttling and lost answers are not that. */
function isRefusal(error: unknown): boolean {
    return (
        error instanceof GraphError &&
        error.statusCode >= 400 &&
        error.statusCode < 500 &&
        error.statusCode !== 401 &&
        error.statusCode !== 403 &&
        error.statusCode !== 429 &&
        !isAmbiguousWriteFailure(error)
    );
}
