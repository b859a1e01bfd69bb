import { sha256Of } from './content';
import type { SimFolder } from './folder';
import { attachmentIdFor, messageKey, regularMessageId } from './ids';
import { attachmentBytes, generatedMime, rawMime, type MailAddress, type MimeSource } from './mime';

export type AttachmentKind = 'file' | 'item' | 'reference';
export type Importance = 'low' | 'normal' | 'high';

export type FlagStatus = 'notFlagged' | 'flagged' | 'complete';

export interface AttachmentInput {
    /** A file (the default), an item (a forwarded message: `item`) or a reference (a cloud link: `sourceUrl`). */
    kind?: AttachmentKind;
    name: string;
    contentType?: string;
    /** Bytes of a file generated from the seed; an item's and a reference's size follow from what they are. */
    size?: number;
    isInline?: boolean;
    contentId?: string;
    /** Exact bytes, for an attachment a client uploaded; generated from the seed when absent. */
    content?: Buffer;
    /** The forwarded message of an item attachment. */
    item?: MessageInput;
    /** The link of a reference attachment. */
    sourceUrl?: string;
}

export interface MessageInput {
    subject?: string;
    from?: string | MailAddress;
    /** Who sent it on behalf of `from`; `from` when absent. */
    sender?: string | MailAddress;
    to?: (string | MailAddress)[];
    cc?: (string | MailAddress)[];
    bcc?: (string | MailAddress)[];
    replyTo?: (string | MailAddress)[];
    body?: string;
    /** text when absent. */
    bodyType?: 'text' | 'html';
    importance?: Importance;
    /** Generated from the id when absent; a restored message carries the original's. */
    internetMessageId?: string;
    inReplyTo?: string;
    references?: string[];
    /** Pad the MIME to about this many bytes; large sizes are generated on the fly when served. */
    size?: number;
    isDraft?: boolean;
    isRead?: boolean;
    flag?: FlagStatus;
    categories?: string[];
    attachments?: AttachmentInput[];
    /** Exact raw bytes served as $value, for hostile content; the other fields still drive the JSON. */
    mime?: Buffer;
    receivedAt?: Date;
    /** Defaults to receivedAt; a restored message carries the original submit time. */
    sentAt?: Date;
    /** Named single-value extended properties a client set (id as Graph spells it → value). */
    extendedProperties?: ReadonlyMap<string, string>;
}

/** Sender of received mail when the test does not name one. */
const EXTERNAL_SENDER: MailAddress = { name: 'Megan Bowen', address: 'meganb@fabrikam.com' };

const TO_EXTERNAL: readonly MailAddress[] = [EXTERNAL_SENDER];
/** Shared by every message without cc, categories or attachments: a generated tenant holds 100,000 messages. */
const NONE: readonly never[] = [];

/**
 * An attachment. A file's bytes are deterministic from the seed (or exactly what a client uploaded) and streamed on
 * demand; an item's bytes are its message's MIME; a reference has none.
 */
export class SimAttachment {
    readonly size: number;

    constructor(
        readonly id: string,
        readonly kind: AttachmentKind,
        readonly name: string,
        readonly contentType: string,
        size: number,
        readonly isInline: boolean,
        readonly contentId: string | null,
        readonly seed: string,
        readonly lastModifiedAt: Date,
        readonly content?: Buffer,
        readonly item?: MimeSource,
        readonly sourceUrl?: string,
    ) {
        this.size = item ? item.size : kind === 'reference' ? 0 : size;
    }

    chunks(): Generator<Buffer> {
        if (this.item) return this.item.chunks();
        if (this.kind === 'reference') return rawMime(Buffer.alloc(0)).chunks();
        return attachmentBytes(this);
    }

    sha256(): string {
        return sha256Of(this.chunks());
    }
}

/** One message as the mailbox holds it. State a user can change lives in fields; the MIME depends only on content. */
export class SimMessage {
    folder: SimFolder;
    readonly subject: string;
    readonly from: MailAddress;
    readonly sender: MailAddress;
    readonly toRecipients: readonly MailAddress[];
    readonly ccRecipients: readonly MailAddress[];
    readonly bccRecipients: readonly MailAddress[];
    readonly replyTo: readonly MailAddress[];
    readonly bodyType: 'text' | 'html';
    readonly inReplyTo: string | undefined;
    readonly references: readonly string[];
    private currentBody: string;
    isRead: boolean;
    flagStatus: FlagStatus;
    categories: readonly string[];
    readonly extendedProperties: ReadonlyMap<string, string>;
    readonly isDraft: boolean;
    readonly importance: Importance;
    readonly receivedAt: Date;
    readonly sentAt: Date;
    readonly createdAt: Date;
    lastModifiedAt: Date;
    changeKey: string;
    attachments: readonly SimAttachment[];
    deleted = false;
    private readonly raw: Buffer | undefined;
    private readonly padTo: number | undefined;
    private readonly givenMessageId: string | undefined;
    private contentVersion = 0;
    private cachedContent: MimeSource | undefined;
    private cachedSha256: string | undefined;

    constructor(
        readonly id: string,
        folder: SimFolder,
        private readonly owner: MailAddress,
        input: MessageInput,
        changeKey: string,
    ) {
        this.folder = folder;
        const outgoing = input.isDraft === true || folder.wellKnownName === 'sentitems';
        this.from = input.from !== undefined ? toAddress(input.from) : outgoing ? owner : EXTERNAL_SENDER;
        this.toRecipients = input.to ? input.to.map(toAddress) : outgoing ? TO_EXTERNAL : [owner];
        this.ccRecipients = input.cc ? input.cc.map(toAddress) : NONE;
        this.subject = input.subject ?? 'Hello';
        this.currentBody = input.body ?? `Message ${id}\r\n`;
        ({
            sender: this.sender,
            bccRecipients: this.bccRecipients,
            replyTo: this.replyTo,
            bodyType: this.bodyType,
            importance: this.importance,
            givenMessageId: this.givenMessageId,
            inReplyTo: this.inReplyTo,
            references: this.references,
        } = envelopeOf(input, this.from));
        this.isDraft = input.isDraft ?? false;
        this.isRead = input.isRead ?? outgoing;
        this.flagStatus = input.flag ?? 'notFlagged';
        this.categories = input.categories?.length ? [...input.categories] : NONE;
        this.receivedAt = input.receivedAt ?? new Date();
        this.sentAt = input.sentAt ?? this.receivedAt;
        this.createdAt = this.receivedAt;
        this.lastModifiedAt = this.receivedAt;
        this.changeKey = changeKey;
        this.attachments = input.attachments?.length ? input.attachments.map((a, i) => this.attachment(a, i)) : NONE;
        this.raw = input.mime;
        this.padTo = input.size;
        this.extendedProperties = input.extendedProperties ?? new Map();
    }

    get key(): Buffer {
        return messageKey(this.id);
    }

    get internetMessageId(): string {
        if (this.givenMessageId) return this.givenMessageId;
        return `<${this.key.toString('hex').slice(0, 24)}@${this.owner.address.split('@')[1] ?? 'contoso.com'}>`;
    }

    get conversationId(): string {
        return `AAQkAD${this.key.subarray(0, 12).toString('base64url')}=`;
    }

    get folderId(): string {
        return this.folder.id;
    }

    get folderPath(): string {
        return this.folder.path;
    }

    /** The id as Graph returns it without `Prefer: IdType="ImmutableId"`; it changes when the message moves. */
    get regularId(): string {
        return regularMessageId(this.id, this.folder.ordinal);
    }

    idFor(immutable: boolean, folder: SimFolder = this.folder): string {
        return immutable ? this.id : regularMessageId(this.id, folder.ordinal);
    }

    get hasAttachments(): boolean {
        return this.attachments.some((a) => !a.isInline);
    }

    /** Exact byte length of $value. */
    get size(): number {
        return this.content().size;
    }

    chunks(): Generator<Buffer> {
        return this.content().chunks();
    }

    /** SHA-256 (hex) of the exact $value bytes, computed by streaming the same generator the server uses. */
    sha256(): string {
        this.cachedSha256 ??= sha256Of(this.chunks());
        return this.cachedSha256;
    }

    /**
     * Records a change Graph would report: a new changeKey and a later lastModifiedDateTime. Graph serialises the
     * time in whole seconds, so it moves on by at least one second to stay visibly different.
     */
    touch(changeKey: string): void {
        this.changeKey = changeKey;
        this.lastModifiedAt = new Date(Math.max(Date.now(), this.lastModifiedAt.getTime() + 1000));
    }

    get body(): string {
        return this.currentBody;
    }

    /** A draft edit: the MIME changes, so $value bytes and sha256() change with it. */
    replaceBody(body: string): void {
        this.currentBody = body;
        this.contentVersion++;
        this.cachedContent = undefined;
        this.cachedSha256 = undefined;
    }

    /** An attachment added to an existing message (POST .../attachments, an upload session): the MIME changes. */
    attach(input: AttachmentInput): SimAttachment {
        const attachment = this.attachment(input, this.attachments.length);
        this.attachments = [...this.attachments, attachment];
        this.cachedContent = undefined;
        this.cachedSha256 = undefined;
        return attachment;
    }

    private attachment(input: AttachmentInput, index: number): SimAttachment {
        const kind = input.kind ?? 'file';
        const isInline = kind === 'file' && (input.isInline ?? false);
        const seed = `${this.id}/attachment/${index}`;
        return new SimAttachment(
            attachmentIdFor(this.id, index),
            kind,
            input.name,
            input.contentType ?? (kind === 'item' ? 'message/rfc822' : 'application/octet-stream'),
            input.content?.length ?? input.size ?? 0,
            isInline,
            input.contentId ?? (isInline ? `image${index}@${this.key.toString('hex').slice(0, 8)}` : null),
            seed,
            this.createdAt,
            input.content,
            kind === 'item' ? itemMime(input.item ?? {}, this.owner, seed) : undefined,
            input.sourceUrl,
        );
    }

    private content(): MimeSource {
        this.cachedContent ??= this.raw
            ? rawMime(this.raw)
            : generatedMime({
                  from: this.from,
                  sender: this.sender,
                  to: this.toRecipients,
                  cc: this.ccRecipients,
                  bcc: this.bccRecipients,
                  replyTo: this.replyTo,
                  subject: this.subject,
                  date: this.sentAt,
                  messageId: this.internetMessageId,
                  inReplyTo: this.inReplyTo,
                  references: this.references,
                  importance: this.importance,
                  body: this.body,
                  bodyType: this.bodyType,
                  attachments: this.attachments,
                  padTo: this.padTo,
                  seed: `${this.id}/v${this.contentVersion}`,
              });
        return this.cachedContent;
    }
}

/**
 * The MIME of a forwarded message (an item attachment): its own headers, body and attachments (files only), as
 * Exchange renders an attached item into the `message/rfc822` part of `$value`.
 */
function itemMime(input: MessageInput, owner: MailAddress, seed: string): MimeSource {
    const from = toAddress(input.from ?? EXTERNAL_SENDER);
    const date = input.sentAt ?? input.receivedAt ?? new Date(Date.UTC(2025, 0, 1));
    return generatedMime({
        from,
        sender: input.sender !== undefined ? toAddress(input.sender) : from,
        to: (input.to ?? [owner]).map(toAddress),
        cc: (input.cc ?? []).map(toAddress),
        bcc: (input.bcc ?? []).map(toAddress),
        replyTo: (input.replyTo ?? []).map(toAddress),
        subject: input.subject ?? 'Forwarded',
        date,
        messageId: input.internetMessageId ?? `<${seed.replace(/[^A-Za-z0-9]/g, '').slice(-24)}@fabrikam.com>`,
        inReplyTo: input.inReplyTo,
        references: input.references ?? [],
        importance: input.importance ?? 'normal',
        body: input.body ?? 'Forwarded message\r\n',
        bodyType: input.bodyType ?? 'text',
        attachments: (input.attachments ?? []).map((a, i) => ({
            kind: 'file' as const,
            name: a.name,
            contentType: a.contentType ?? 'application/octet-stream',
            size: a.content?.length ?? a.size ?? 0,
            isInline: a.isInline ?? false,
            contentId: a.contentId ?? null,
            seed: `${seed}/attachment/${i}`,
            content: a.content,
        })),
        padTo: input.size,
        seed,
    });
}

/** The header fields a test rarely sets, with the defaults of a plain message. */
function envelopeOf(input: MessageInput, from: MailAddress) {
    return {
        sender: input.sender !== undefined ? toAddress(input.sender) : from,
        bccRecipients: input.bcc?.length ? input.bcc.map(toAddress) : NONE,
        replyTo: input.replyTo?.length ? input.replyTo.map(toAddress) : NONE,
        bodyType: input.bodyType ?? 'text',
        importance: input.importance ?? 'normal',
        givenMessageId: input.internetMessageId,
        inReplyTo: input.inReplyTo,
        references: input.references?.length ? [...input.references] : NONE,
    };
}

function toAddress(value: string | MailAddress): MailAddress {
    if (typeof value !== 'string') return value;
    const local = value.split('@')[0] ?? value;
    return { name: local.replace(/[._]/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase()), address: value };
}
