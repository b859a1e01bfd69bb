import type { SimFolder } from '../model/folder';
import type { MailAddress } from '../model/mime';
import type { SimAttachment, SimMessage } from '../model/message';
import { graphDate } from './odata';

export type Json = Record<string, unknown>;

/** Every message property v1.0 knows, so `$select` of a real property never fails here. */
export const MESSAGE_PROPERTIES = [
    'id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'categories', 'receivedDateTime', 'sentDateTime',
    'hasAttachments', 'internetMessageId', 'subject', 'bodyPreview', 'importance', 'parentFolderId', 'conversationId',
    'conversationIndex', 'isDeliveryReceiptRequested', 'isReadReceiptRequested', 'isRead', 'isDraft', 'webLink',
    'inferenceClassification', 'body', 'sender', 'from', 'toRecipients', 'ccRecipients', 'bccRecipients', 'replyTo',
    'flag', 'uniqueBody', 'internetMessageHeaders',
] as const; // prettier-ignore

/** Returned only when selected, as in Graph. */
const SELECT_ONLY = new Set<string>(['uniqueBody', 'internetMessageHeaders']);

export const ATTACHMENT_PROPERTIES = [
    'id', 'lastModifiedDateTime', 'name', 'contentType', 'size', 'isInline', 'contentId', 'contentLocation',
    'contentBytes',
] as const; // prettier-ignore

export interface MessageView {
    immutableIds: boolean;
    select?: string[];
    /** `$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')`: PR_MESSAGE_SIZE. */
    expandSize: boolean;
    /** `$expand=attachments(...)`: undefined when not expanded, else the nested `$select` (if any). */
    expandAttachments?: { select?: string[] };
    /** The folder the id is reported for; a delta reports items of the folder it syncs. */
    folder?: SimFolder;
}

export function messageJson(message: SimMessage, view: MessageView): Json {
    const folder = view.folder ?? message.folder;
    const json: Json = { '@odata.etag': `W/"${message.changeKey}"`, id: message.idFor(view.immutableIds, folder) };
    const all = allProperties(message, folder);
    for (const name of MESSAGE_PROPERTIES) {
        const wanted = view.select ? view.select.includes(name) : !SELECT_ONLY.has(name);
        if (wanted && name !== 'id') json[name] = all[name];
    }
    if (view.expandSize) {
        // Graph answers with the id normalised (lower-case hex, no leading zeros), whatever spelling was asked for.
        json.singleValueExtendedProperties = [{ id: 'Integer 0xe08', value: String(message.size) }];
    }
    if (view.expandAttachments) {
        json.attachments = message.attachments.map((a) => attachmentJson(a, view.expandAttachments?.select));
    }
    return json;
}

export function removedJson(message: SimMessage, folder: SimFolder, immutableIds: boolean): Json {
    return {
        '@odata.type': '#microsoft.graph.message',
        id: message.idFor(immutableIds, folder),
        '@removed': { reason: 'deleted' },
    };
}

export function attachmentJson(attachment: SimAttachment, select?: string[]): Json {
    const all: Json = {
        id: attachment.id,
        lastModifiedDateTime: graphDate(attachment.lastModifiedAt),
        name: attachment.name,
        contentType: attachment.contentType,
        size: attachment.size,
        isInline: attachment.isInline,
        contentId: attachment.contentId,
        contentLocation: null,
    };
    const json: Json = { '@odata.type': ATTACHMENT_TYPES[attachment.kind] };
    if (!select && attachment.kind === 'file') json['@odata.mediaContentType'] = attachment.contentType;
    for (const name of ATTACHMENT_PROPERTIES) {
        if (select && !select.includes(name) && name !== 'id') continue;
        // Only a file attachment has contentBytes; an item has its `item`, a reference no content
        // (docs/graph-behaviour.md, "Attachments as JSON").
        if (name === 'contentBytes' && attachment.kind !== 'file') continue;
        json[name] = name === 'contentBytes' ? Buffer.concat([...attachment.chunks()]).toString('base64') : all[name];
    }
    return json;
}

const ATTACHMENT_TYPES: Record<SimAttachment['kind'], string> = {
    file: '#microsoft.graph.fileAttachment',
    item: '#microsoft.graph.itemAttachment',
    reference: '#microsoft.graph.referenceAttachment',
};

function allProperties(m: SimMessage, folder: SimFolder): Json {
    const body = { contentType: m.bodyType, content: m.body };
    const headers = [
        { name: 'Message-ID', value: m.internetMessageId },
        { name: 'Subject', value: m.subject },
        { name: 'MIME-Version', value: '1.0' },
    ];
    return {
        createdDateTime: graphDate(m.createdAt),
        lastModifiedDateTime: graphDate(m.lastModifiedAt),
        changeKey: m.changeKey,
        categories: [...m.categories],
        receivedDateTime: graphDate(m.receivedAt),
        sentDateTime: graphDate(m.sentAt),
        hasAttachments: m.hasAttachments,
        internetMessageId: m.internetMessageId,
        subject: m.subject,
        bodyPreview: m.body.replace(/\s+/g, ' ').trim().slice(0, 255),
        importance: m.importance,
        parentFolderId: folder.id,
        conversationId: m.conversationId,
        conversationIndex: m.key.subarray(0, 16).toString('base64'),
        isDeliveryReceiptRequested: false,
        isReadReceiptRequested: false,
        isRead: m.isRead,
        isDraft: m.isDraft,
        webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(m.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
        inferenceClassification: 'focused',
        body,
        sender: recipient(m.sender),
        from: recipient(m.from),
        toRecipients: m.toRecipients.map(recipient),
        ccRecipients: m.ccRecipients.map(recipient),
        bccRecipients: m.bccRecipients.map(recipient),
        replyTo: m.replyTo.map(recipient),
        flag: { flagStatus: m.flagStatus },
        uniqueBody: body,
        internetMessageHeaders: headers,
    };
}

function recipient(a: MailAddress): Json {
    return { emailAddress: { name: a.name, address: a.address } };
}
