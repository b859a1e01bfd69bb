import { sha256Of } from './content';
import type { SimFolder } from './folder';
import { attachmentIdFor, immutableMessageId, regularMessageId } from './ids';
import { attachmentBytes, generatedMime, rawMime, type MailAddress, type MimeSource } from './mime';

export type FlagStatus = 'notFlagged' | 'flagged' | 'complete';

export interface AttachmentInput {
    name: string;
    contentType?: string;
    size: number;
    isInline?: boolean;
}

export interface MessageInput {
    subject?: string;
    from?: string | MailAddress;
    to?: (string | MailAddress)[];
    cc?: (string | MailAddress)[];
    body?: string;
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
}

/** A file attachment; its bytes are deterministic from the seed and streamed on demand. */
export class SimAttachment {
    constructor(
        readonly id: string,
        readonly name: string,
        readonly contentType: string,
        readonly size: number,
        readonly isInline: boolean,
        readonly contentId: string | null,
        readonly seed: string,
        readonly lastModifiedAt: Date,
    ) {}

    chunks(): Generator<Buffer> {
        return attachmentBytes(this);
    }

    sha256(): string {
        return sha256Of(this.chunks());
    }
}

/** One message as the mailbox holds it. State a user can change lives in fields; the MIME depends only on content. */
export class SimMessage {
    readonly id: string;
    folder: SimFolder;
    readonly subject: string;
    readonly from: MailAddress;
    readonly toRecipients: MailAddress[];
    readonly ccRecipients: MailAddress[];
    private currentBody: string;
    isRead: boolean;
    flagStatus: FlagStatus;
    categories: string[];
    readonly isDraft: boolean;
    readonly importance = 'normal';
    readonly receivedAt: Date;
    readonly sentAt: Date;
    readonly createdAt: Date;
    lastModifiedAt: Date;
    changeKey: string;
    readonly internetMessageId: string;
    readonly conversationId: string;
    readonly attachments: SimAttachment[];
    deleted = false;
    private readonly raw: Buffer | undefined;
    private readonly padTo: number | undefined;
    private contentVersion = 0;
    private cachedContent: MimeSource | undefined;
    private cachedSha256: string | undefined;

    constructor(
        readonly key: Buffer,
        folder: SimFolder,
        owner: MailAddress,
        input: MessageInput,
        changeKey: string,
    ) {
        this.id = immutableMessageId(key);
        this.folder = folder;
        const outgoing = input.isDraft === true || folder.wellKnownName === 'sentitems';
        const external: MailAddress = { name: 'Megan Bowen', address: 'meganb@fabrikam.com' };
        this.from = input.from !== undefined ? toAddress(input.from) : outgoing ? owner : external;
        this.toRecipients = (input.to ?? [outgoing ? external : owner]).map(toAddress);
        this.ccRecipients = (input.cc ?? []).map(toAddress);
        this.subject = input.subject ?? 'Hello';
        this.currentBody = input.body ?? `Message ${this.id}\r\n`;
        this.isDraft = input.isDraft ?? false;
        this.isRead = input.isRead ?? outgoing;
        this.flagStatus = input.flag ?? 'notFlagged';
        this.categories = [...(input.categories ?? [])];
        this.receivedAt = input.receivedAt ?? new Date();
        this.sentAt = this.receivedAt;
        this.createdAt = this.receivedAt;
        this.lastModifiedAt = new Date();
        this.changeKey = changeKey;
        const hex = key.toString('hex');
        this.internetMessageId = `<${hex.slice(0, 24)}@${owner.address.split('@')[1] ?? 'contoso.com'}>`;
        this.conversationId = `AAQkAD${key.subarray(0, 12).toString('base64url')}=`;
        this.attachments = (input.attachments ?? []).map((a, i) => {
            const isInline = a.isInline ?? false;
            const contentId = isInline ? `image${i}@${hex.slice(0, 8)}` : null;
            const contentType = a.contentType ?? 'application/octet-stream';
            const seed = `${this.id}/attachment/${i}`;
            return new SimAttachment(
                attachmentIdFor(key, i),
                a.name,
                contentType,
                a.size,
                isInline,
                contentId,
                seed,
                this.createdAt,
            );
        });
        this.raw = input.mime;
        this.padTo = input.size;
    }

    get folderId(): string {
        return this.folder.id;
    }

    get folderPath(): string {
        return this.folder.path;
    }

    /** The id as Graph returns it without `Prefer: IdType="ImmutableId"`; it changes when the message moves. */
    get regularId(): string {
        return regularMessageId(this.key, this.folder.ordinal);
    }

    idFor(immutable: boolean, folder: SimFolder = this.folder): string {
        return immutable ? this.id : regularMessageId(this.key, folder.ordinal);
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

    /** Records a change Graph would report: a new changeKey and lastModifiedDateTime. */
    touch(changeKey: string): void {
        this.changeKey = changeKey;
        this.lastModifiedAt = new Date();
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

    private content(): MimeSource {
        this.cachedContent ??= this.raw
            ? rawMime(this.raw)
            : generatedMime({
                  from: this.from,
                  to: this.toRecipients,
                  cc: this.ccRecipients,
                  subject: this.subject,
                  date: this.sentAt,
                  messageId: this.internetMessageId,
                  body: this.body,
                  attachments: this.attachments,
                  padTo: this.padTo,
                  seed: `${this.id}/v${this.contentVersion}`,
              });
        return this.cachedContent;
    }
}

function toAddress(value: string | MailAddress): MailAddress {
    if (typeof value !== 'string') return value;
    const local = value.split('@')[0] ?? value;
    return { name: local.replace(/[._]/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase()), address: value };
}
