import type { Readable } from 'node:stream';

import type { Message } from '@microsoft/microsoft-graph-types';

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
].join(',');

/** PR_MESSAGE_SIZE: v1.0 has no size property (docs/graph-behaviour.md, "Message content and change detection"). */
const SIZE_PROPERTY = 'Integer 0x0E08';
const SIZE_TAG = { type: 'integer', tag: 0x0e08 };

/**
 * Delta pages of up to 1,000 messages: most folders in one request. The entries are small (DELTA_SELECT), and a page
 * need not be read to its end: a run out of time stops downloading and reads the page again next time, skipping
 * what it stored. Graph may serve smaller pages than asked (docs/graph-behaviour.md, "Paging").
 */
export const DELTA_PAGE_SIZE = 1000;

/** The first request of a folder's delta sync; its parameters are baked into every later link. */
export function initialDeltaUrl(graph: MailboxGraph, folderId: string): string {
    const expand = `singleValueExtendedProperties($filter=id eq '${SIZE_PROPERTY}')`;
    return `${graph.userPath}/mailFolders/${encodeURIComponent(folderId)}/messages/delta?$select=${DELTA_SELECT}&$expand=${expand}`;
}

export function deltaPages(graph: MailboxGraph, url: string): AsyncGenerator<Page<DeltaMessage>> {
    return graph.pages<DeltaMessage>(url, { Prefer: `odata.maxpagesize=${DELTA_PAGE_SIZE}` });
}

export function messageSize(message: DeltaMessage): number | undefined {
    const property = message.singleValueExtendedProperties?.find((p) => isPropertyTag(p.id, SIZE_TAG));
    const size = property ? Number(property.value) : NaN;
    return Number.isFinite(size) ? size : undefined;
}

/**
 * Graph answers with an extended property's id normalised, not as it was asked for: `Integer 0x0E08` comes back as
 * `Integer 0xe08` (docs/graph-behaviour.md, "Message content and change detection"). So ids are compared by type and
 * tag number.
 */
export function isPropertyTag(id: string, wanted: { type: string; tag: number }): boolean {
    const [, type = '', hex = ''] = /^\s*(\w+)\s+0x([0-9a-f]+)\s*$/i.exec(id) ?? [];
    return type.toLowerCase() === wanted.type && parseInt(hex, 16) === wanted.tag;
}

/** One message's delta fields, for a message whose download is retried outside its folder's delta. */
export function getMessageMetadata(graph: MailboxGraph, messageId: string): Promise<DeltaMessage> {
    const expand = `singleValueExtendedProperties($filter=id eq '${SIZE_PROPERTY}')`;
    return graph.get<DeltaMessage>(
        `${graph.userPath}/messages/${encodeURIComponent(messageId)}?$select=${DELTA_SELECT}&$expand=${expand}`,
    );
}

/**
 * The exact MIME bytes of a message, as a stream: messages reach 150 MB
 * (docs/graph-behaviour.md, "Message content and change detection").
 */
export function openMime(graph: MailboxGraph, messageId: string): Promise<Readable> {
    return graph.openStream(`${graph.userPath}/messages/${encodeURIComponent(messageId)}/$value`);
}
