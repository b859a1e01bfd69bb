/**
 * The JSON copy of a message: what its exact MIME says, in Graph's shapes, so a reader needs no MIME parser and a
 * restore can hand the fields to Graph as they are. It is derived from the `.eml` bytes alone (schema below), so the
 * same content always gives the same document, whoever stored it first and with whatever options. State a user
 * changes (folder, read, flag, categories) and the received time Exchange assigned live in the index, not here.
 *
 * Format: docs/storage-format.md, "The JSON copy". A change of shape is a new schema version.
 */
import { BackupError } from '../common/errors';

export const MESSAGE_COPY_SCHEMA = 'mail-backup/message@2';

export interface EmailAddress {
    name: string;
    address: string;
}

/** Graph's recipient shape, so a restore passes it on unchanged. */
export interface Recipient {
    emailAddress: EmailAddress;
}

export type Importance = 'low' | 'normal' | 'high';

/**
 * One attachment as the MIME holds it:
 * - file: a part with content (inline images included, with their Content-ID);
 * - item: an attached message (a `message/rfc822` part), its bytes being that message's own MIME;
 * - reference: a cloud link, no content (a `message/external-body` part naming a URL).
 * `size` and `sha256` are of the decoded bytes; when the backup keeps attachments as blobs of their own (the JSON
 * format), the content is at `attachments/<first two hex digits>/<sha256>`.
 */
export interface CopyAttachment {
    kind: 'file' | 'item' | 'reference';
    name: string;
    contentType: string;
    size: number;
    sha256: string;
    isInline: boolean;
    contentId?: string;
    sourceUrl?: string;
}

export interface MessageCopy {
    schema: typeof MESSAGE_COPY_SCHEMA;
    /** SHA-256 (hex) and length of the `.eml` bytes the document was derived from. */
    sha256: string;
    size: number;
    internetMessageId?: string;
    inReplyTo?: string;
    references: string[];
    subject: string;
    from?: Recipient;
    sender?: Recipient;
    toRecipients: Recipient[];
    ccRecipients: Recipient[];
    bccRecipients: Recipient[];
    replyTo: Recipient[];
    /** The Date header, as an ISO 8601 UTC time. */
    sentDateTime?: string;
    importance: Importance;
    body: CopyBody;
    attachments: CopyAttachment[];
}

/**
 * The body as the MIME has it (the HTML part when the message has one, else the text part). `size` and `sha256`
 * are of the part's bytes after transfer decoding, in the charset it declares. Its text is in the document when
 * those bytes are no more than BODY_INLINE_LIMIT; a longer body is described only, like an attachment, and its
 * bytes are in the `.eml` or, for the JSON format, in a blob of their own at `attachments/<xx>/<sha256>`. So the
 * document never holds bulk content, and a backup with both copies does not store a long body twice.
 */
export interface CopyBody {
    contentType: 'html' | 'text';
    charset: string;
    size: number;
    sha256: string;
    content?: string;
}

/**
 * A page of text is some 3 KB and most person-written mail, HTML included, stays under this; longer bodies
 * (newsletters, long quoted threads) are described, so that the copy adds little to what the `.eml` stores.
 */
export const BODY_INLINE_LIMIT = 16 * 1024;

/** A stored JSON copy, checked: a document of another schema is refused rather than misread. */
export function parseMessageCopy(text: string, blobName: string): MessageCopy {
    let document: unknown;
    try {
        document = JSON.parse(text);
    } catch {
        throw new BackupError(`${blobName} is not a JSON document`);
    }
    const schema = (document as { schema?: unknown } | null)?.schema;
    if (schema !== MESSAGE_COPY_SCHEMA) {
        throw new BackupError(
            `${blobName} is a JSON copy of schema ${JSON.stringify(schema)}, not ${MESSAGE_COPY_SCHEMA}; ` +
                'this version reads only its own schema',
        );
    }
    return document as MessageCopy;
}
