import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import type { Attachment } from '@microsoft/microsoft-graph-types';

import type { MailboxGraph } from '../graph/mailboxGraph';
import {
    getAttachmentDocument,
    getMessageDocument,
    type MessageDocument,
    openAttachment,
    openMime,
} from '../graph/messages';
import type { ContentStore } from '../store/contentStore';
import type { AttachmentEntity } from '../store/entities';
import { attachmentRowKey } from '../store/tableKeys';
import { type BackupOptions, storesEml, storesJson } from './options';

/** Attachments up to this size are embedded (base64) in the JSON copy; larger ones only as their own blob. */
const EMBED_LIMIT = 256 * 1024;
/**
 * Inline parts up to this size are read as JSON, content and Content-ID in one request (a restore needs the
 * Content-ID for the body's `cid:` links); larger ones, rare for inline images, are streamed without it.
 */
const INLINE_JSON_LIMIT = 4 * 1024 * 1024;

export interface StoredMessage {
    sha256: string;
    size: number;
    emlBlob: string;
    jsonBlob: string;
    attachments: AttachmentEntity[];
    bytesDownloaded: number;
    bytesStored: number;
}

/**
 * Downloads one message version and stores it: the MIME from `$value`, streamed through SHA-256
 * into its content-addressed blob (never whole in memory), then, for the JSON format, the message
 * document with its attachments. Everything is written before the caller records it in the index,
 * so the index never points at a blob that does not exist.
 */
export async function storeMessage(
    graph: MailboxGraph,
    content: ContentStore,
    mailboxId: string,
    messageId: string,
    options: BackupOptions,
): Promise<StoredMessage> {
    const mime = await openMime(graph, messageId);
    let stored: StoredMessage;
    if (storesEml(options)) {
        const put = await content.putMime(mime);
        stored = {
            ...put,
            emlBlob: put.blobName,
            jsonBlob: '',
            attachments: [],
            bytesDownloaded: put.bytesRead,
            bytesStored: put.created ? put.size : 0,
        };
    } else {
        const { sha256, size } = await hashStream(mime);
        stored = { sha256, size, emlBlob: '', jsonBlob: '', attachments: [], bytesDownloaded: size, bytesStored: 0 };
    }
    if (storesJson(options)) await storeJsonCopy(graph, content, mailboxId, messageId, options, stored);
    return stored;
}

async function storeJsonCopy(
    graph: MailboxGraph,
    content: ContentStore,
    mailboxId: string,
    messageId: string,
    options: BackupOptions,
    stored: StoredMessage,
): Promise<void> {
    const message = await getMessageDocument(graph, messageId);
    const attachments: JsonAttachment[] = [];
    for (const attachment of message.attachments ?? []) {
        const isFile = attachment['@odata.type' as keyof Attachment] === '#microsoft.graph.fileAttachment';
        const entry: JsonAttachment = describeAttachment(attachment);
        if (isFile && options.attachments && attachment.id) {
            const size = attachment.size ?? 0;
            const saved =
                attachment.isInline && size <= INLINE_JSON_LIMIT
                    ? await storeInlineAttachment(graph, content, messageId, attachment.id)
                    : await storeAttachment(graph, content, messageId, attachment.id, size);
            Object.assign(entry, { sha256: saved.sha256, blob: saved.blobName, contentBytes: saved.embedded });
            if (saved.contentId) entry.contentId = saved.contentId;
            stored.bytesDownloaded += saved.size;
            if (saved.created) stored.bytesStored += saved.size;
            stored.attachments.push({
                partitionKey: mailboxId,
                rowKey: attachmentRowKey(messageId, attachment.id),
                messageId,
                attachmentId: attachment.id,
                name: attachment.name ?? '',
                contentType: attachment.contentType ?? '',
                size: saved.size,
                isInline: attachment.isInline ?? false,
                sha256: saved.sha256,
                blob: saved.blobName,
            });
        }
        attachments.push(entry);
    }
    const json = await content.putJson(stored.sha256, toJsonDocument(message, stored, attachments));
    stored.jsonBlob = json.blobName;
    if (json.created) stored.bytesStored += json.size;
}

interface JsonAttachment {
    id: string;
    name: string;
    contentType: string;
    size: number;
    isInline: boolean;
    /** The Content-ID an inline part is referenced by (`cid:` in the HTML body). */
    contentId?: string;
    kind: string;
    sha256?: string;
    blob?: string;
    contentBytes?: string;
}

function describeAttachment(attachment: Attachment): JsonAttachment {
    const type = (attachment as { '@odata.type'?: string })['@odata.type'] ?? '';
    return {
        id: attachment.id ?? '',
        name: attachment.name ?? '',
        contentType: attachment.contentType ?? '',
        size: attachment.size ?? 0,
        isInline: attachment.isInline ?? false,
        kind: type.replace('#microsoft.graph.', ''),
    };
}

async function storeInlineAttachment(
    graph: MailboxGraph,
    content: ContentStore,
    messageId: string,
    attachmentId: string,
): Promise<StoredAttachment> {
    const document = await getAttachmentDocument(graph, messageId, attachmentId);
    const bytes = Buffer.from(document.contentBytes ?? '', 'base64');
    const put = await content.putAttachment(Readable.from([bytes]));
    return {
        ...put,
        embedded: bytes.length <= EMBED_LIMIT ? bytes.toString('base64') : undefined,
        contentId: document.contentId ?? undefined,
    };
}

interface StoredAttachment {
    sha256: string;
    size: number;
    blobName: string;
    created: boolean;
    embedded?: string;
    contentId?: string;
}

async function storeAttachment(
    graph: MailboxGraph,
    content: ContentStore,
    messageId: string,
    attachmentId: string,
    declaredSize: number,
): Promise<StoredAttachment> {
    const stream = await openAttachment(graph, messageId, attachmentId);
    if (declaredSize > EMBED_LIMIT) return content.putAttachment(stream);
    // Small enough to hold: read once, embed in the JSON copy, and store it as a blob too.
    const bytes = await buffer(stream);
    const put = await content.putAttachment(Readable.from([bytes]));
    return { ...put, embedded: bytes.length <= EMBED_LIMIT ? bytes.toString('base64') : undefined };
}

/**
 * The JSON copy: the message as Graph describes it (headers, recipients, body) plus where its
 * MIME and attachments are. Mutable state (read, flag, folder) lives in the index, not here,
 * because this document is shared by every mailbox holding the same content.
 */
function toJsonDocument(message: MessageDocument, stored: StoredMessage, attachments: JsonAttachment[]): unknown {
    return {
        schema: 'mail-backup/message@1',
        sha256: stored.sha256,
        size: stored.size,
        emlBlob: stored.emlBlob || undefined,
        internetMessageId: message.internetMessageId,
        conversationId: message.conversationId,
        subject: message.subject,
        from: message.from,
        sender: message.sender,
        toRecipients: message.toRecipients,
        ccRecipients: message.ccRecipients,
        bccRecipients: message.bccRecipients,
        replyTo: message.replyTo,
        sentDateTime: message.sentDateTime,
        receivedDateTime: message.receivedDateTime,
        importance: message.importance,
        isDraft: message.isDraft,
        body: message.body,
        attachments,
    };
}

async function hashStream(stream: Readable): Promise<{ sha256: string; size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
        size += chunk.length;
        hash.update(chunk);
    }
    return { sha256: hash.digest('hex'), size };
}
