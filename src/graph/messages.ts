import type { Readable } from 'node:stream';

import type { Attachment, FileAttachment, Message } from '@microsoft/microsoft-graph-types';

import type { MailboxGraph, Page } from './mailboxGraph';

/** A message as a delta page reports it: what change detection needs, no body. */
export type DeltaMessage = Pick<
    Message,
    | 'changeKey'
    | 'lastModifiedDateTime'
    | 'parentFolderId'
    | 'isRead'
    | 'isDraft'
    | 'flag'
    | 'categories'
    | 'internetMessageId'
    | 'receivedDateTime'
    | 'subject'
    | 'from'
    | 'hasAttachments'
    | 'bodyPreview'
> & {
    id: string;
    '@removed'?: { reason: string };
    singleValueExtendedProperties?: { id: string; value: string }[];
};

const DELTA_SELECT = [
    'id',
    'changeKey',
    'lastModifiedDateTime',
    'parentFolderId',
    'isRead',
    'isDraft',
    'flag',
    'categories',
    'internetMessageId',
    'receivedDateTime',
    'subject',
    'from',
    'hasAttachments',
    'bodyPreview',
].join(',');

/** PR_MESSAGE_SIZE: v1.0 has no size property (graph-facts §6). */
const SIZE_PROPERTY = 'Integer 0x0E08';

/** Delta pages of 200: large enough to keep requests few, small enough to checkpoint often. */
export const DELTA_PAGE_SIZE = 200;

/** The first request of a folder's delta sync; its parameters are baked into every later link. */
export function initialDeltaUrl(graph: MailboxGraph, folderId: string): string {
    const expand = `singleValueExtendedProperties($filter=id eq '${SIZE_PROPERTY}')`;
    return `${graph.userPath}/mailFolders/${encodeURIComponent(folderId)}/messages/delta?$select=${DELTA_SELECT}&$expand=${expand}`;
}

export function deltaPages(graph: MailboxGraph, url: string): AsyncGenerator<Page<DeltaMessage>> {
    return graph.pages<DeltaMessage>(url, { Prefer: `odata.maxpagesize=${DELTA_PAGE_SIZE}` });
}

export function messageSize(message: DeltaMessage): number | undefined {
    const property = message.singleValueExtendedProperties?.find(
        (p) => p.id.toLowerCase() === SIZE_PROPERTY.toLowerCase(),
    );
    const size = property ? Number(property.value) : NaN;
    return Number.isFinite(size) ? size : undefined;
}

/** One message's delta fields, for a message whose download is retried outside its folder's delta. */
export function getMessageMetadata(graph: MailboxGraph, messageId: string): Promise<DeltaMessage> {
    const expand = `singleValueExtendedProperties($filter=id eq '${SIZE_PROPERTY}')`;
    return graph.get<DeltaMessage>(
        `${graph.userPath}/messages/${encodeURIComponent(messageId)}?$select=${DELTA_SELECT}&$expand=${expand}`,
    );
}

/** The exact MIME bytes of a message, as a stream: messages reach 150 MB (graph-facts §7). */
export function openMime(graph: MailboxGraph, messageId: string): Promise<Readable> {
    return graph.openStream(`${graph.userPath}/messages/${encodeURIComponent(messageId)}/$value`);
}

export type MessageDocument = Message & { attachments?: Attachment[] };

/** The message as JSON, with its attachment list (metadata only; content is fetched per attachment). */
export function getMessageDocument(graph: MailboxGraph, messageId: string): Promise<MessageDocument> {
    const expand = 'attachments($select=id,name,contentType,size,isInline,lastModifiedDateTime)';
    return graph.get<MessageDocument>(`${graph.userPath}/messages/${encodeURIComponent(messageId)}?$expand=${expand}`);
}

/**
 * One attachment as JSON: for a file attachment that is its content (base64) and its Content-ID, which ties an
 * inline image to the `cid:` reference in the HTML body. The attachments listing cannot select contentId
 * (a fileAttachment property) without a type cast Graph does not document, so inline parts are read this way.
 */
export function getAttachmentDocument(
    graph: MailboxGraph,
    messageId: string,
    attachmentId: string,
): Promise<FileAttachment> {
    return graph.get<FileAttachment>(
        `${graph.userPath}/messages/${encodeURIComponent(messageId)}/attachments/${encodeURIComponent(attachmentId)}`,
    );
}

export function openAttachment(graph: MailboxGraph, messageId: string, attachmentId: string): Promise<Readable> {
    return graph.openStream(
        `${graph.userPath}/messages/${encodeURIComponent(messageId)}/attachments/${encodeURIComponent(attachmentId)}/$value`,
    );
}
