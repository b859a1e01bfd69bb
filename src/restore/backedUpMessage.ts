/**
 * A message as the backup holds it, read for a restore: its headers and body, the list of its attachments, and then
 * each attachment's content in order. The `.eml` is the source whenever the backup has one (format both or eml); a
 * backup made with `--format json` has only the JSON copy, whose attachments are blobs of their own.
 *
 * Memory stays bounded whatever the size (messages reach 150 MB): a MIME of up to SMALL_MIME_BYTES is read once
 * into memory; a larger one is read twice, once to learn the attachments' sizes (an upload session needs the size
 * before the first byte), once to stream each attachment to Graph while the parse waits.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import { decodeText } from '../mime/bodyPart';
import { type CopyAttachment, parseMessageCopy } from '../mime/messageCopy';
import { type ReadMessage, readMessage } from '../mime/readMessage';
import type { MessageAsOf } from '../recovery/pointInTime';
import type { ContentStore } from '../store/contentStore';
import { UnrestorableMessageError } from './restoreErrors';

/** The 4 MB request cap is the scale: what would fit in one request is small. */
export const SMALL_MIME_BYTES = 4 * 1024 * 1024;

/**
 * Receives one attachment and its decoded content (undefined when the backup kept none: a cloud link, or a JSON
 * backup made with `--no-attachments`). Content it leaves unread is skipped.
 */
export type AttachmentHandler = (attachment: CopyAttachment, content: Readable | undefined) => Promise<void>;

export interface BackedUpMessage {
    message: ReadMessage;
    /** Hands each attachment to `handle`, in order, one at a time. */
    forEachAttachment(handle: AttachmentHandler): Promise<void>;
}

export async function openBackedUpMessage(content: ContentStore, message: MessageAsOf): Promise<BackedUpMessage> {
    if (message.emlBlob) {
        const open = async () => Readable.from(await content.openRead(message.emlBlob));
        return message.size <= SMALL_MIME_BYTES ? readSmallMime(await buffer(await open())) : readLargeMime(open);
    }
    if (message.jsonBlob) return readJsonCopy(content, message.jsonBlob);
    throw new UnrestorableMessageError('the backup holds neither its .eml nor its JSON copy');
}

/** One parse, each attachment's content kept: at most the MIME's own size. */
async function readSmallMime(mime: Buffer): Promise<BackedUpMessage> {
    const contents: Buffer[] = [];
    const parsed = await readMessage(Readable.from([mime]), async (_part, stream) => {
        contents.push(await buffer(stream));
    });
    return {
        message: parsed,
        async forEachAttachment(handle) {
            for (const [index, attachment] of parsed.attachments.entries()) {
                await handOver(handle, attachment, Readable.from([contents[index] ?? Buffer.alloc(0)]));
            }
        },
    };
}

/** A first parse that only measures; each call of forEachAttachment parses again, streaming. */
async function readLargeMime(open: () => Promise<Readable>): Promise<BackedUpMessage> {
    const parsed = await readMessage(await open());
    return {
        message: parsed,
        async forEachAttachment(handle) {
            let index = 0;
            await readMessage(await open(), async (_part, stream) => {
                const attachment = parsed.attachments[index++];
                if (!attachment) throw new Error('the .eml gave more attachments on its second reading');
                await handOver(handle, attachment, stream);
            });
        },
    };
}

/**
 * The JSON copy (mail-backup/message@2) and the parts it keeps as blobs at attachments/xx/<sha256>: each attachment's
 * decoded bytes and, when the body is too long to be in the document, the body's text.
 */
async function readJsonCopy(content: ContentStore, jsonBlob: string): Promise<BackedUpMessage> {
    const copy = parseMessageCopy((await buffer(await content.openRead(jsonBlob))).toString('utf8'), jsonBlob);
    const { schema: _schema, sha256: _sha256, size: _size, body, ...fields } = copy;
    const described = body as { contentType: 'html' | 'text'; content?: string; sha256?: string; charset?: string };
    let text = described.content;
    if (text === undefined) {
        const blob = partBlob(described.sha256 ?? '');
        if (!(await content.exists(blob)))
            throw new UnrestorableMessageError(`its body is missing from storage (${blob})`);
        // A body part's bytes are kept in the charset the MIME declared.
        text = decodeText(await buffer(await content.openRead(blob)), described.charset ?? 'utf-8');
    }
    return {
        message: { ...fields, body: { ...body, content: text } },
        async forEachAttachment(handle) {
            for (const attachment of copy.attachments) {
                const blob = partBlob(attachment.sha256);
                const kept = attachment.kind !== 'reference' && (await content.exists(blob));
                await handOver(handle, attachment, kept ? Readable.from(await content.openRead(blob)) : undefined);
            }
        },
    };
}

function partBlob(sha256: string): string {
    return `attachments/${sha256.slice(0, 2)}/${sha256}`;
}

async function handOver(
    handle: AttachmentHandler,
    attachment: CopyAttachment,
    stream: Readable | undefined,
): Promise<void> {
    try {
        await handle(attachment, stream);
    } catch (error) {
        stream?.destroy();
        throw error;
    }
    // Read, not resumed: a reader may have left a 'readable' listener behind, and then resume() does nothing.
    if (stream && !stream.readableEnded && !stream.destroyed) for await (const _ of stream) void _;
}
