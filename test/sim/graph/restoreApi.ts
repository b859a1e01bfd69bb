import { randomBytes, randomUUID } from 'node:crypto';

import {
    keySegment,
    preferenceApplied,
    requireFolder,
    requireMailbox,
    requireMessage,
    type GraphContext,
} from './context';
import type { RequestKind } from '../model/counters';
import { folderJson } from './directoryJson';
import { GraphError, notSimulated } from './graphError';
import type { Mailbox } from '../model/mailbox';
import type { AttachmentInput, FlagStatus, Importance, MessageInput } from '../model/message';
import { attachmentJson, messageJson, type Json } from './messageJson';
import type { MailAddress } from '../model/mime';
import { graphDate } from './odata';
import type { JsonReply, Reply, StreamReply } from '../http/reply';
import type { GraphHandler } from '../http/routes';

/**
 * The writes a restore makes (docs/graph-behaviour.md, "Restore writes"): folders, messages as JSON (with the extended
 * properties that clear the draft flag and set the original times) or as MIME (always a draft), file attachments up to
 * the request cap, and upload sessions for large ones. Every write needs Mail.ReadWrite and counts against the
 * mailbox's upload budget.
 */

/** Upload sessions are for attachments of 3 MB to 150 MB (docs/graph-behaviour.md, "Restore writes"). */
const MIN_SESSION_BYTES = 3 * 1024 * 1024;
const MAX_SESSION_BYTES = 150 * 1024 * 1024;
const SESSION_LIFETIME_MS = 15 * 60_000;

interface WriteRoute {
    method: 'POST' | 'PUT' | 'DELETE';
    /** Includes the version segment. */
    pattern: string[];
    kind: RequestKind;
    handle: GraphHandler;
}

const USER = ['v1.0', 'users', ':user'];
const MESSAGE_PARENTS = [USER, [...USER, 'mailFolders', ':folder']];
/** Beta documents a reference attachment's sourceUrl, v1.0 does not (docs/graph-behaviour.md). */
const BETA_USER = ['beta', 'users', ':user'];

export const WRITE_ROUTES: WriteRoute[] = [
    { method: 'POST', pattern: [...USER, 'mailFolders'], kind: 'write', handle: createFolder },
    {
        method: 'POST',
        pattern: [...USER, 'mailFolders', ':folder', 'childFolders'],
        kind: 'write',
        handle: createFolder,
    },
    ...MESSAGE_PARENTS.flatMap((parent): WriteRoute[] => [
        { method: 'POST', pattern: [...parent, 'messages'], kind: 'write', handle: createMessage },
        { method: 'DELETE', pattern: [...parent, 'messages', ':message'], kind: 'write', handle: deleteMessage },
        {
            method: 'POST',
            pattern: [...parent, 'messages', ':message', 'attachments'],
            kind: 'write',
            handle: (ctx) => createAttachment(ctx, 'v1.0'),
        },
        {
            method: 'POST',
            pattern: [...parent, 'messages', ':message', 'attachments', 'createUploadSession'],
            kind: 'write',
            handle: createUploadSession,
        },
    ]),
    {
        method: 'POST',
        pattern: [...BETA_USER, 'messages', ':message', 'attachments'],
        kind: 'write',
        handle: (ctx) => createAttachment(ctx, 'beta'),
    },
    // The uploadUrl Graph hands out points at Outlook's own endpoint, authorised by the token in its query.
    {
        method: 'PUT',
        pattern: ['api', 'v2.0', 'Users', ':user', 'Messages', ':message', 'AttachmentSessions', ':session'],
        kind: 'upload',
        handle: uploadRange,
    },
];

function requireWritable(ctx: GraphContext): { mailbox: Mailbox; userId: string } {
    const { user, mailbox } = requireMailbox(ctx);
    if (ctx.tenant.mailPermission !== 'Mail.ReadWrite') {
        throw new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    }
    return { mailbox, userId: user.id };
}

function jsonBody(ctx: GraphContext): Json {
    try {
        const parsed: unknown = JSON.parse((ctx.body ?? Buffer.alloc(0)).toString('utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Json;
    } catch {
        // answered below
    }
    throw new GraphError(
        400,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
}

/** POST /mailFolders (top level) or /mailFolders/{id}/childFolders; a duplicate name answers 409 ErrorFolderExists. */
function createFolder(ctx: GraphContext): JsonReply {
    const { mailbox, userId } = requireWritable(ctx);
    const parent = ctx.params.folder === undefined ? mailbox.root : requireFolder(mailbox, ctx.params.folder);
    const displayName = jsonBody(ctx).displayName;
    if (typeof displayName !== 'string' || displayName.trim() === '') {
        throw new GraphError(400, 'ErrorInvalidParameter', 'The value of the parameter DisplayName is empty.');
    }
    if (parent.children.some((c) => c.displayName.toLowerCase() === displayName.toLowerCase())) {
        throw new GraphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
    }
    const folder = mailbox.addFolder(parent === mailbox.root ? null : parent.id, displayName);
    const context = `${ctx.base}/v1.0/$metadata#${keySegment('users', userId)}/mailFolders/$entity`;
    return { status: 201, json: { '@odata.context': context, ...folderJson(folder, mailbox.rootParentId) } };
}

/**
 * POST .../messages. A JSON body creates a draft unless PidTagMessageFlags (Integer 0x0E07) clears MSGFLAG_UNSENT
 * (8), as Corso's restore does; SystemTime 0x0039 and 0x0E06 set the submit and delivery times. A base64 MIME body
 * (Content-Type text/plain) always makes a draft.
 */
function createMessage(ctx: GraphContext): JsonReply {
    const { mailbox, userId } = requireWritable(ctx);
    const folder =
        ctx.params.folder === undefined ? mailbox.folder('drafts') : requireFolder(mailbox, ctx.params.folder);
    const body = ctx.body ?? Buffer.alloc(0);
    const input = body.subarray(0, 1).toString() === '{' ? messageFromJson(jsonBody(ctx)) : messageFromMime(body);
    const message = mailbox.addMessage(folder.id, input);
    const json = {
        '@odata.context': `${ctx.base}/v1.0/$metadata#${keySegment('users', userId)}/messages/$entity`,
        ...messageJson(message, { immutableIds: ctx.prefer.immutableIds, expandSize: false }),
    };
    return { status: 201, json, headers: preferenceApplied(ctx) };
}

function messageFromJson(json: Json): MessageInput {
    if (Array.isArray(json.attachments) && json.attachments.length > 0) {
        throw notSimulated('attachments inside a message create');
    }
    const properties = new Map<string, string>();
    for (const p of (json.singleValueExtendedProperties ?? []) as { id?: unknown; value?: unknown }[]) {
        if (typeof p.id === 'string' && typeof p.value === 'string') properties.set(p.id.toLowerCase(), p.value);
    }
    const flagsText = properties.get('integer 0x0e07');
    const flags = flagsText === undefined ? undefined : Number(flagsText);
    const isDraft = flags === undefined || (flags & 8) !== 0;
    const body = json.body as { content?: string; contentType?: string } | undefined;
    return {
        subject: typeof json.subject === 'string' ? json.subject : '',
        body: body?.content ?? '',
        bodyType: body?.contentType?.toLowerCase() === 'html' ? 'html' : 'text',
        ...headersFromJson(json, properties),
        isDraft,
        isRead: typeof json.isRead === 'boolean' ? json.isRead : flags !== undefined ? (flags & 1) !== 0 : true,
        flag: (json.flag as { flagStatus?: FlagStatus } | undefined)?.flagStatus ?? 'notFlagged',
        categories: Array.isArray(json.categories) ? (json.categories as string[]) : [],
        receivedAt: time(properties.get('systemtime 0x0e06')),
        sentAt: time(properties.get('systemtime 0x0039')),
        extendedProperties: properties,
    };
}

/** Addresses, importance and the threading fields of a JSON create. */
function headersFromJson(json: Json, properties: ReadonlyMap<string, string>): MessageInput {
    const from = address(json.from) ?? address(json.sender);
    const sender = address(json.sender);
    const references = properties.get('string 0x1039');
    return {
        ...(from ? { from } : {}),
        ...(sender ? { sender } : {}),
        to: addresses(json.toRecipients),
        cc: addresses(json.ccRecipients),
        bcc: addresses(json.bccRecipients),
        replyTo: addresses(json.replyTo),
        ...(isImportance(json.importance) ? { importance: json.importance } : {}),
        // Settable at create: Graph documents internetMessageId as "updatable only if isDraft".
        ...(typeof json.internetMessageId === 'string' ? { internetMessageId: json.internetMessageId } : {}),
        // PidTagInReplyToId and PidTagInternetReferences, which Exchange writes as In-Reply-To and References.
        inReplyTo: properties.get('string 0x1042'),
        references: references ? references.split(/\s+/).filter(Boolean) : [],
    };
}

function isImportance(value: unknown): value is Importance {
    return value === 'low' || value === 'normal' || value === 'high';
}

function messageFromMime(body: Buffer): MessageInput {
    const text = body.toString('latin1').replace(/\s+/g, '');
    if (text === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
        throw new GraphError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
    }
    const mime = Buffer.from(text, 'base64');
    const subject = /^Subject: ?(.*)$/im.exec(mime.subarray(0, 64 * 1024).toString('utf8'))?.[1]?.trim() ?? '';
    return { subject, mime, isDraft: true, isRead: true };
}

/** DELETE .../messages/{id}: 204; the mailbox's delta reports it removed. */
function deleteMessage(ctx: GraphContext): StreamReply {
    const { mailbox } = requireWritable(ctx);
    mailbox.deleteMessage(requireMessage(ctx, mailbox).id);
    return { status: 204, contentType: 'text/plain', stream: () => [] };
}

/**
 * POST .../attachments: a file attachment whose bytes fit in one request, an item attachment (a message given as
 * JSON, which may not carry attachments of its own), or a reference attachment; its sourceUrl is a beta property,
 * which v1.0 refuses as OData refuses any property its type does not define.
 */
function createAttachment(ctx: GraphContext, version: 'v1.0' | 'beta'): JsonReply {
    const { mailbox } = requireWritable(ctx);
    const message = requireMessage(ctx, mailbox);
    const json = jsonBody(ctx);
    const type = json['@odata.type'];
    if (typeof json.name !== 'string') {
        throw new GraphError(400, 'ErrorInvalidRequest', 'An attachment needs a name.');
    }
    const contentType = typeof json.contentType === 'string' ? json.contentType : undefined;
    let input: AttachmentInput;
    if (type === '#microsoft.graph.fileAttachment') {
        if (typeof json.contentBytes !== 'string') {
            throw new GraphError(400, 'ErrorInvalidRequest', 'A file attachment needs a name and contentBytes.');
        }
        input = {
            name: json.name,
            contentType,
            isInline: json.isInline === true,
            contentId: typeof json.contentId === 'string' ? json.contentId : undefined,
            content: Buffer.from(json.contentBytes, 'base64'),
        };
    } else if (type === '#microsoft.graph.itemAttachment') {
        const item = json.item as Json | undefined;
        if (!item || typeof item !== 'object') {
            throw new GraphError(400, 'ErrorInvalidRequest', 'An item attachment needs an item.');
        }
        input = { kind: 'item', name: json.name, item: messageFromJson(item) };
    } else if (type === '#microsoft.graph.referenceAttachment') {
        if (version !== 'beta' && 'sourceUrl' in json) {
            throw new GraphError(
                400,
                'RequestBodyRead',
                "The property 'sourceUrl' does not exist on type 'microsoft.graph.referenceAttachment'. Make sure to " +
                    'only use property names that are defined by the type or mark the type as open type.',
            );
        }
        if (typeof json.sourceUrl !== 'string') {
            throw new GraphError(400, 'ErrorInvalidRequest', 'A reference attachment needs a sourceUrl.');
        }
        input = { kind: 'reference', name: json.name, contentType, sourceUrl: json.sourceUrl };
    } else {
        throw notSimulated(`attachments of type ${String(type)}`);
    }
    const attachment = mailbox.addAttachment(message.id, input);
    const { contentBytes: _bytes, ...reply } = attachmentJson(attachment);
    return { status: 201, json: reply };
}

interface UploadSession {
    mailbox: Mailbox;
    messageId: string;
    name: string;
    contentType?: string;
    isInline: boolean;
    contentId?: string;
    size: number;
    token: string;
    received: Buffer[];
    receivedBytes: number;
    expiresAt: number;
}

const sessions = new Map<string, UploadSession>();

/** POST .../attachments/createUploadSession {AttachmentItem}: for 3 MB to 150 MB. */
function createUploadSession(ctx: GraphContext): JsonReply {
    const { mailbox, userId } = requireWritable(ctx);
    const message = requireMessage(ctx, mailbox);
    const item = jsonBody(ctx).AttachmentItem as Json | undefined;
    const size = Number(item?.size);
    if (!item || item.attachmentType !== 'file' || typeof item.name !== 'string' || !Number.isInteger(size)) {
        throw new GraphError(
            400,
            'ErrorInvalidRequest',
            'AttachmentItem needs attachmentType file, a name and a size.',
        );
    }
    if (size < MIN_SESSION_BYTES) {
        throw new GraphError(
            400,
            'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize',
            'Attachment size must be greater than the minimum size.',
        );
    }
    if (size > MAX_SESSION_BYTES) {
        throw new GraphError(400, 'ErrorAttachmentSizeShouldNotBeGreaterThanMaximumSize', 'Attachment is too large.');
    }
    const id = randomUUID();
    const session: UploadSession = {
        mailbox,
        messageId: message.id,
        name: item.name,
        contentType: typeof item.contentType === 'string' ? item.contentType : undefined,
        isInline: item.isInline === true,
        contentId: typeof item.contentId === 'string' ? item.contentId : undefined,
        size,
        token: randomBytes(24).toString('base64url'),
        received: [],
        receivedBytes: 0,
        expiresAt: Date.now() + SESSION_LIFETIME_MS,
    };
    sessions.set(id, session);
    const path = `api/v2.0/${keySegment('Users', userId)}/${keySegment('Messages', message.id)}/${keySegment('AttachmentSessions', id)}`;
    return {
        status: 201,
        json: {
            '@odata.context': `${ctx.base}/v1.0/$metadata#microsoft.graph.uploadSession`,
            uploadUrl: `${ctx.base}/${path}?authtoken=${session.token}`,
            expirationDateTime: graphDate(new Date(session.expiresAt)),
            nextExpectedRanges: ['0-'],
        },
    };
}

/** PUT {uploadUrl} with Content-Range: the next bytes, in order; the last range creates the attachment (201). */
function uploadRange(ctx: GraphContext): Reply {
    const session = sessions.get(ctx.params.session ?? '');
    if (!session || session.expiresAt < Date.now() || ctx.query.get('authtoken') !== session.token) {
        throw new GraphError(404, 'ErrorItemNotFound', 'The upload session was not found or has expired.');
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(ctx.headers?.['content-range'] ?? ''));
    const body = ctx.body ?? Buffer.alloc(0);
    const [start, end, total] = (range ?? []).slice(1).map(Number);
    if (
        start !== session.receivedBytes ||
        end === undefined ||
        end - start + 1 !== body.length ||
        total !== session.size
    ) {
        throw new GraphError(
            416,
            'ErrorInvalidRange',
            `Expected the range starting at ${session.receivedBytes} of ${session.size} bytes.`,
        );
    }
    session.received.push(body);
    session.receivedBytes += body.length;
    if (session.receivedBytes < session.size) {
        return {
            status: 200,
            json: {
                expirationDateTime: graphDate(new Date(session.expiresAt)),
                nextExpectedRanges: [`${session.receivedBytes}-`],
            },
        };
    }
    sessions.delete(ctx.params.session ?? '');
    const attachment = session.mailbox.addAttachment(session.messageId, {
        name: session.name,
        contentType: session.contentType,
        size: session.size,
        isInline: session.isInline,
        contentId: session.contentId,
        content: Buffer.concat(session.received),
    });
    const created: StreamReply = {
        status: 201,
        contentType: 'text/plain',
        stream: () => [],
        headers: { Location: `${ctx.base}/api/v2.0/Attachments('${attachment.id}')` },
    };
    return created;
}

function address(value: unknown): MailAddress | undefined {
    const email = (value as { emailAddress?: { name?: string; address?: string } } | undefined)?.emailAddress;
    return email?.address ? { name: email.name ?? '', address: email.address } : undefined;
}

function addresses(value: unknown): MailAddress[] {
    return Array.isArray(value) ? value.map(address).filter((a): a is MailAddress => a !== undefined) : [];
}

function time(value: string | undefined): Date | undefined {
    const date = value === undefined ? undefined : new Date(value);
    return date && !Number.isNaN(date.getTime()) ? date : undefined;
}
