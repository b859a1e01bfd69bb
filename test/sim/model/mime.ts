import { createHash } from 'node:crypto';
import { base64Lines, base64LinesSize, fillerLines, keystream } from './content';

/**
 * RFC 5322 messages built from a message's fields, deterministic and lazy: headers are small strings, while the
 * padding filler and the base64 attachment parts are described by their size and generated chunk by chunk on demand.
 */
export interface MailAddress {
    name: string;
    address: string;
}

/**
 * An attachment part. A file is base64 of its bytes; an item (a forwarded message) is that message's own MIME in a
 * `message/rfc822` part; a reference (a cloud link) is a `message/external-body` part naming the URL. Graph does not
 * document how Exchange renders a reference attachment into `$value`; this is our assumption
 * (docs/graph-behaviour.md, "Attachments in the MIME").
 */
export interface MimeAttachment {
    kind: 'file' | 'item' | 'reference';
    name: string;
    contentType: string;
    size: number;
    isInline: boolean;
    contentId: string | null;
    seed: string;
    /** Exact bytes (an uploaded attachment) instead of the seed's keystream. */
    content?: Buffer;
    /** An item's message. */
    item?: MimeSource;
    /** A reference's link. */
    sourceUrl?: string;
}

export interface MimeSpec {
    from: MailAddress;
    /** Written only when it differs from `from`. */
    sender?: MailAddress;
    to: readonly MailAddress[];
    cc: readonly MailAddress[];
    bcc: readonly MailAddress[];
    replyTo: readonly MailAddress[];
    subject: string;
    date: Date;
    messageId: string;
    inReplyTo?: string;
    references: readonly string[];
    importance: 'low' | 'normal' | 'high';
    body: string;
    bodyType: 'text' | 'html';
    attachments: readonly MimeAttachment[];
    /** Pad the body with filler so the whole message is about this many bytes. */
    padTo?: number;
    seed: string;
}

export interface MimeSource {
    readonly size: number;
    chunks(): Generator<Buffer>;
}

type Segment = Buffer | { filler: number } | { attachment: MimeAttachment } | { item: MimeSource };

export function rawMime(bytes: Buffer): MimeSource {
    return {
        size: bytes.length,
        *chunks() {
            for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
        },
    };
}

export function attachmentBytes(attachment: MimeAttachment): Generator<Buffer> {
    return attachment.content ? rawChunks(attachment.content) : keystream(attachment.seed, attachment.size);
}

/** Chunks of a multiple of 57 bytes (whole base64 lines), as base64Lines needs. */
function* rawChunks(bytes: Buffer): Generator<Buffer> {
    for (let i = 0; i < bytes.length; i += 57 * 840) yield bytes.subarray(i, i + 57 * 840);
}

export function generatedMime(spec: MimeSpec): MimeSource {
    const segments = layout(spec);
    const unpadded = segments.reduce((sum, s) => sum + segmentSize(s), 0);
    const padding = spec.padTo !== undefined ? spec.padTo - unpadded : 0;
    if (padding > 0) segments.splice(bodyEnd(spec), 0, { filler: padding });
    return {
        size: unpadded + Math.max(0, padding),
        *chunks() {
            for (const segment of segments) yield* segmentChunks(segment, spec.seed);
        },
    };
}

function layout(spec: MimeSpec): Segment[] {
    const utf8 = !isAscii(spec.body);
    const list = (name: string, addresses: readonly MailAddress[]) =>
        addresses.length > 0 ? [`${name}: ${addresses.map(address).join(', ')}`] : [];
    const sender = spec.sender && spec.sender.address !== spec.from.address ? [spec.sender] : [];
    const headers = [
        `From: ${address(spec.from)}`,
        ...list('Sender', sender),
        `To: ${spec.to.map(address).join(', ')}`,
        ...list('Cc', spec.cc),
        ...list('Bcc', spec.bcc),
        ...list('Reply-To', spec.replyTo),
        `Subject: ${encodeWord(spec.subject)}`,
        `Date: ${spec.date.toUTCString().replace('GMT', '+0000')}`,
        `Message-ID: ${spec.messageId}`,
        ...(spec.inReplyTo ? [`In-Reply-To: ${spec.inReplyTo}`] : []),
        ...(spec.references.length > 0 ? [`References: ${spec.references.join(' ')}`] : []),
        ...(spec.importance !== 'normal' ? [`Importance: ${spec.importance}`] : []),
        'MIME-Version: 1.0',
    ];
    const textHeaders = [
        `Content-Type: text/${spec.bodyType === 'html' ? 'html' : 'plain'}; charset="utf-8"`,
        `Content-Transfer-Encoding: ${utf8 ? '8bit' : '7bit'}`,
    ];
    const body = crlf(spec.body);
    if (spec.attachments.length === 0) return [text([...headers, ...textHeaders, '', body].join('\r\n'))];
    const boundary = `----=_Part_${createHash('sha256').update(spec.seed).digest('hex').slice(0, 24)}`;
    const segments: Segment[] = [
        text([...headers, `Content-Type: multipart/mixed; boundary="${boundary}"`, '', `--${boundary}`].join('\r\n')),
        text(['', ...textHeaders, '', body].join('\r\n')),
    ];
    for (const attachment of spec.attachments) {
        if (attachment.kind !== 'file') {
            segments.push(...embeddedPart(boundary, attachment));
            continue;
        }
        const disposition = attachment.isInline ? 'inline' : 'attachment';
        const partHeaders = [
            '',
            `--${boundary}`,
            `Content-Type: ${attachment.contentType}; name="${encodeWord(attachment.name)}"`,
            `Content-Disposition: ${disposition}; filename="${encodeWord(attachment.name)}"; size=${attachment.size}`,
            ...(attachment.contentId ? [`Content-ID: <${attachment.contentId}>`] : []),
            'Content-Transfer-Encoding: base64',
            '',
            '',
        ];
        segments.push(text(partHeaders.join('\r\n')), { attachment });
    }
    segments.push(text(`\r\n--${boundary}--\r\n`));
    return segments;
}

/** An item as a `message/rfc822` part holding its MIME; a reference as a `message/external-body` part. */
function embeddedPart(boundary: string, attachment: MimeAttachment): Segment[] {
    const name = encodeWord(attachment.name);
    const disposition = `Content-Disposition: attachment; filename="${name}"`;
    if (attachment.kind === 'item' && attachment.item) {
        const headers = ['', `--${boundary}`, `Content-Type: message/rfc822; name="${name}"`, disposition, '', ''];
        return [text(headers.join('\r\n')), { item: attachment.item }];
    }
    const url = (attachment.sourceUrl ?? '').replace(/["\\]/g, '\\$&');
    const headers = [
        '',
        `--${boundary}`,
        `Content-Type: message/external-body; access-type=URL; URL="${url}"; name="${name}"`,
        disposition,
        '',
        `Content-Type: ${attachment.contentType}`,
        '',
        '',
    ];
    return [text(headers.join('\r\n'))];
}

/** Index right after the text body, where the padding goes. */
function bodyEnd(spec: MimeSpec): number {
    return spec.attachments.length === 0 ? 1 : 2;
}

function segmentSize(segment: Segment): number {
    if (Buffer.isBuffer(segment)) return segment.length;
    if ('filler' in segment) return segment.filler;
    if ('item' in segment) return segment.item.size;
    return base64LinesSize(segment.attachment.size);
}

function segmentChunks(segment: Segment, seed: string): Generator<Buffer> | Buffer[] {
    if (Buffer.isBuffer(segment)) return [segment];
    if ('filler' in segment) return fillerLines(`${seed}/filler`, segment.filler);
    if ('item' in segment) return segment.item.chunks();
    return base64Lines(attachmentBytes(segment.attachment));
}

function text(value: string): Buffer {
    return Buffer.from(value, 'utf8');
}

function crlf(body: string): string {
    const normalized = body.replace(/\r?\n/g, '\r\n');
    return normalized.endsWith('\r\n') ? normalized : `${normalized}\r\n`;
}

function isAscii(value: string): boolean {
    return /^[\x20-\x7e\r\n\t]*$/.test(value);
}

/** RFC 2047 encoded word for non-ASCII header text. */
function encodeWord(value: string): string {
    return isAscii(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function address(a: MailAddress): string {
    if (!a.name) return `<${a.address}>`;
    const name = isAscii(a.name) ? `"${a.name.replace(/["\\]/g, '\\$&')}"` : encodeWord(a.name);
    return `${name} <${a.address}>`;
}
