import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';

import type { MailboxGraph } from '../graph/mailboxGraph';
import { openMime } from '../graph/messages';
import { BODY_INLINE_LIMIT, MESSAGE_COPY_SCHEMA, type MessageCopy } from '../mime/messageCopy';
import { type AttachmentPart, type AttachmentSink, readMessage } from '../mime/readMessage';
import type { StoredContent } from '../store/contentStore';
import type { ContentStore } from '../store/contentStore';
import type { AttachmentEntity } from '../store/entities';
import { attachmentRowKey } from '../store/tableKeys';
import { type BackupOptions, storesEml, storesJson } from './options';

export interface StoredMessage {
    sha256: string;
    size: number;
    emlBlob: string;
    jsonBlob: string;
    /** Attachments stored as blobs of their own: only the JSON format keeps them apart from the MIME. */
    attachments: AttachmentEntity[];
    bytesDownloaded: number;
    bytesStored: number;
}

export interface MessageToStore {
    mailboxId: string;
    messageId: string;
    /** PR_MESSAGE_SIZE from the delta page, when Graph gave it: large messages skip buffering. */
    sizeHint?: number;
}

/**
 * Downloads one message version, with one Graph request, and stores what `options` asks for: the `$value` MIME is
 * streamed through SHA-256 into its content-addressed `.eml` blob and, at the same time, through the MIME parser
 * into the JSON copy (and, for the JSON format, each attachment's decoded bytes into a blob of its own). Nothing is
 * held whole in memory. Everything is written before the caller records it in the index, so the index never points
 * at a blob that does not exist.
 */
export async function storeMessage(
    graph: MailboxGraph,
    content: ContentStore,
    message: MessageToStore,
    options: BackupOptions,
): Promise<StoredMessage> {
    const mime = await openMime(graph, message.messageId);
    const attachments: AttachmentEntity[] = [];
    let bytesStored = 0;
    const keepAttachment: AttachmentSink | undefined =
        !storesEml(options) && options.attachments
            ? async (part, stream) => {
                  const put = await content.putAttachment(stream);
                  if (put.created) bytesStored += put.size;
                  attachments.push(partEntity(message, String(attachments.length + 1), part, put));
              }
            : undefined;
    // Without the .eml, a long body's bytes are kept the way attachments are: a content-addressed part.
    const keepLongBody = storesEml(options)
        ? undefined
        : async (stream: Readable) => {
              const put = await content.putAttachment(stream);
              if (put.created) bytesStored += put.size;
              attachments.push(partEntity(message, BODY_PART, { name: '', contentType: '', isInline: false }, put));
          };
    const storeOrHash = (stream: Readable) =>
        storesEml(options) ? storeEml(content, stream, message.sizeHint) : hashOnly(stream);
    const parse = (stream: Readable) =>
        readMessage(stream, keepAttachment, { bodyLimit: BODY_INLINE_LIMIT, longBody: keepLongBody });
    const [eml, parsed] = storesJson(options)
        ? await Promise.all(readTwice(mime, [storeOrHash, parse]))
        : [await storeOrHash(mime), undefined];
    bytesStored += eml.bytesStored;
    let jsonBlob = '';
    if (parsed) {
        const copy: MessageCopy = { schema: MESSAGE_COPY_SCHEMA, sha256: eml.sha256, size: eml.size, ...parsed };
        const json = await content.putJson(eml.sha256, copy);
        jsonBlob = json.blobName;
        if (json.created) bytesStored += json.size;
    }
    return {
        sha256: eml.sha256,
        size: eml.size,
        emlBlob: eml.blobName,
        jsonBlob,
        attachments,
        bytesDownloaded: eml.size,
        bytesStored,
    };
}

/** The attachment row of a long body kept as a part of its own (JSON format only). */
export const BODY_PART = 'body';

function partEntity(
    message: MessageToStore,
    partId: string,
    part: Pick<AttachmentPart, 'name' | 'contentType' | 'isInline'>,
    put: StoredContent,
): AttachmentEntity {
    return {
        partitionKey: message.mailboxId,
        rowKey: attachmentRowKey(message.messageId, partId),
        messageId: message.messageId,
        attachmentId: partId,
        name: part.name,
        contentType: part.contentType,
        size: put.size,
        isInline: part.isInline,
        sha256: put.sha256,
        blob: put.blobName,
    };
}

interface MimeDigest {
    sha256: string;
    size: number;
    blobName: string;
    bytesStored: number;
}

async function storeEml(content: ContentStore, stream: Readable, sizeHint?: number): Promise<MimeDigest> {
    const put = await content.putMime(stream, { sizeHint });
    return { sha256: put.sha256, size: put.size, blobName: put.blobName, bytesStored: put.created ? put.size : 0 };
}

async function hashOnly(stream: Readable): Promise<MimeDigest> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
        size += chunk.length;
        hash.update(chunk);
    }
    return { sha256: hash.digest('hex'), size, blobName: '', bytesStored: 0 };
}

/**
 * Feeds one download to two readers at the pace of the slower (`pipe` pauses the source while either is full). A
 * failure anywhere ends all three streams, so neither reader waits for bytes that will never come.
 */
function readTwice<A, B>(
    source: Readable,
    readers: [(stream: Readable) => Promise<A>, (stream: Readable) => Promise<B>],
): [Promise<A>, Promise<B>] {
    const branches: [Readable, Readable] = [branch(), branch()];
    const fail = (error: Error) => {
        for (const stream of [source, ...branches]) stream.destroy(error);
    };
    source.once('error', fail);
    for (const stream of branches) source.pipe(stream as PassThrough);
    const guard = <T>(promise: Promise<T>) =>
        promise.catch((error: unknown) => {
            fail(error instanceof Error ? error : new Error(String(error)));
            throw error;
        });
    return [guard(readers[0](branches[0])), guard(readers[1](branches[1]))];
}

function branch(): PassThrough {
    return new PassThrough({ highWaterMark: 256 * 1024 });
}
