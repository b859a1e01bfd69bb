/**
 * Reads a message's MIME once, as a stream, into what the JSON copy and a restore need: headers and recipients in
 * Graph's shapes, the body (HTML when the message has one, else text), and every attachment, whose decoded content is
 * handed to the caller as a stream while the parse waits (so no attachment is ever held whole in memory).
 *
 * The parser is mailparser's streaming MailParser (on @zone-eu/mailsplit): it decodes base64 and quoted-printable,
 * charsets and RFC 2047 words, and parses address lists, which a splitter alone would leave to us. Its conveniences
 * that cost CPU and change content are off: no HTML-to-text or text-to-HTML conversion, no linkifying, `cid:` links
 * kept. Attached messages (`message/rfc822`) are kept whole as attachments instead of being merged into the body.
 */
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';

import { type AddressObject, type AttachmentStream, type Headers, MailParser, type MessageText } from 'mailparser';

import { type BodyBytes, decodeText, readBodyPart } from './bodyPart';

import type { CopyAttachment, CopyBody, EmailAddress, Importance, MessageCopy, Recipient } from './messageCopy';

/** An attachment as the parse meets it, before its content has been read. */
export type AttachmentPart = Omit<CopyAttachment, 'size' | 'sha256'>;

/** Consumes one attachment's decoded content; the parse goes on once it returns. It must read the stream to its end. */
export type AttachmentSink = (part: AttachmentPart, content: Readable) => Promise<void>;

export type ReadMessage = Omit<MessageCopy, 'schema' | 'sha256' | 'size' | 'body'> & { body: BodyText };

const PARSER_OPTIONS = {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    checksumAlgo: 'sha256',
    // Passed on to mailsplit: a message/rfc822 part stays one attachment (the forwarded message's own MIME).
    ignoreEmbedded: true,
};

export interface ReadOptions {
    /** Body text up to this many bytes is returned; a longer body is only described. Default: 4 MiB. */
    bodyLimit?: number;
    /** Receives a body longer than `bodyLimit` as it is read (its bytes in their own charset). */
    longBody?: (content: Readable) => Promise<void>;
}

/** Graph caps a request at 4 MB, so a body a restore can send fits in this. */
const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * Parses `source` to its end; attachments go to `sink` (or are only measured and hashed when there is none).
 *
 * mailparser gathers text parts in memory; here every part, body text included, arrives as a stream (its list of
 * text types is emptied), so a message of any size is read with bounded memory. The body is the first inline
 * HTML part, else the first inline text part, as mail clients show it; other inline text parts (the plain
 * alternative of an HTML body) are skipped, since the `.eml` keeps them.
 */
export async function readMessage(
    source: Readable | AsyncIterable<Buffer>,
    sink?: AttachmentSink,
    options: ReadOptions = {},
): Promise<ReadMessage> {
    const parser = new MailParser(PARSER_OPTIONS);
    (parser as unknown as { textTypes: string[] }).textTypes = [];
    let headers: Headers = new Map();
    parser.once('headers', (parsed: Headers) => (headers = parsed));
    let parseError: Error | undefined;
    const feeding = pipeline(source instanceof Readable ? source : Readable.from(source), parser).catch(
        (error: unknown) => (parseError ??= error instanceof Error ? error : new Error(String(error))),
    );
    const attachments: CopyAttachment[] = [];
    const bodies: Partial<Record<BodyText['contentType'], BodyText>> = {};
    const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
    try {
        for await (const data of parser as AsyncIterable<AttachmentStream | MessageText>) {
            if (data.type === 'text') continue;
            const kind = bodyKind(data);
            try {
                if (kind) {
                    const bytes = await readBodyPart(data.content, limit, bodies[kind] ? undefined : options.longBody);
                    bodies[kind] ??= describeBody(kind, charsetOf(data), bytes);
                } else {
                    const part = describeAttachment(data);
                    if (sink) await sink(part, data.content);
                    else await finished(data.content.resume());
                    attachments.push({ ...part, size: data.size ?? 0, sha256: data.checksum ?? '' });
                }
            } finally {
                data.release?.();
            }
        }
    } catch (error) {
        parser.destroy();
        await feeding;
        throw error;
    }
    await feeding;
    if (parseError) throw parseError;
    const body = bodies.html ??
        bodies.text ?? { contentType: 'text', charset: 'utf-8', size: 0, sha256: EMPTY, content: '' };
    return { ...describeHeaders(headers), body, attachments };
}

/** SHA-256 of no bytes: the body of a message that has none. */
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function bodyKind(data: AttachmentStream): BodyText['contentType'] | undefined {
    if (data.filename || data.contentDisposition === 'attachment') return undefined;
    if (data.contentType === 'text/html') return 'html';
    if (data.contentType === 'text/plain') return 'text';
    return undefined;
}

function charsetOf(data: AttachmentStream): string {
    const params = (data.headers.get('content-type') as { params?: Record<string, string> } | undefined)?.params;
    return (params?.charset ?? 'utf-8').toLowerCase();
}

function describeBody(contentType: BodyText['contentType'], charset: string, bytes: BodyBytes): BodyText {
    const body: BodyText = { contentType, charset, size: bytes.size, sha256: bytes.sha256 };
    if (bytes.bytes) body.content = decodeText(bytes.bytes, charset);
    return body;
}

function describeHeaders(headers: Headers): Omit<ReadMessage, 'body' | 'attachments'> {
    const date = headers.get('date');
    const sent = date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
    return {
        internetMessageId: stringHeader(headers, 'message-id'),
        inReplyTo: stringHeader(headers, 'in-reply-to'),
        references: [headers.get('references') ?? []].flat().filter((r): r is string => typeof r === 'string'),
        subject: stringHeader(headers, 'subject') ?? '',
        from: recipients(headers, 'from')[0],
        sender: recipients(headers, 'sender')[0],
        toRecipients: recipients(headers, 'to'),
        ccRecipients: recipients(headers, 'cc'),
        bccRecipients: recipients(headers, 'bcc'),
        replyTo: recipients(headers, 'reply-to'),
        sentDateTime: sent,
        importance: importanceOf(headers.get('priority')),
    };
}

function stringHeader(headers: Headers, name: string): string | undefined {
    const value = headers.get(name);
    return typeof value === 'string' ? value : undefined;
}

/** An address header's mailboxes, groups flattened, in Graph's recipient shape. */
function recipients(headers: Headers, name: string): Recipient[] {
    const objects = [headers.get(name) ?? []].flat() as AddressObject[];
    const out: Recipient[] = [];
    const visit = (entries: { name?: string; address?: string; group?: unknown[] }[]) => {
        for (const entry of entries) {
            if (entry.group) visit(entry.group as typeof entries);
            else if (entry.address) out.push({ emailAddress: address(entry.name ?? '', entry.address) });
        }
    };
    for (const object of objects) visit(object.value ?? []);
    return out;
}

function address(name: string, value: string): EmailAddress {
    return { name, address: value };
}

/** mailparser folds Importance, Priority, X-Priority and X-MSMail-Priority into one `priority` of high/normal/low. */
function importanceOf(priority: unknown): Importance {
    return priority === 'high' || priority === 'low' ? priority : 'normal';
}

/**
 * The body as read: its size and SHA-256 are of its bytes in its own charset; its text is there when it was
 * within the read's limit.
 */
export type BodyText = CopyBody;

function describeAttachment(data: AttachmentStream): AttachmentPart {
    const header = data.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
    // As the part declares it: mailparser replaces application/octet-stream with a guess from the file name.
    const contentType = (header?.value ?? data.contentType).toLowerCase();
    const params = header?.params ?? {};
    const name = data.filename ?? params.name ?? '';
    const contentId = data.cid || undefined;
    const isInline = data.contentDisposition === 'inline' || (data.related === true && contentId !== undefined);
    if (contentType === 'message/rfc822') return { kind: 'item', name, contentType, isInline: false };
    if (contentType === 'message/external-body' && params.url) {
        return { kind: 'reference', name, contentType, isInline: false, sourceUrl: params.url };
    }
    return { kind: 'file', name, contentType, isInline, ...(contentId ? { contentId } : {}) };
}
