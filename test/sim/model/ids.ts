/**
 * Outlook ids as the simulator issues them. Real ids are URL-safe base64 carrying '-', '_' and '=' and are
 * case-sensitive (docs/graph-behaviour.md, "Immutable ids"); the simulator keeps all three characters so clients that
 * mangle them fail.
 *
 * A message has two forms. The immutable id (returned with `Prefer: IdType="ImmutableId"`) survives moves inside the
 * mailbox. The regular id embeds the folder, so it changes when the message moves, and an old regular id stops
 * resolving. Folder ids never change.
 */
const IMMUTABLE_PREFIX = 'AAkALgAA';
const REGULAR_PREFIX = 'AAMkAD';
const FOLDER_PREFIX = 'AQMkAD';
const ID_CHARS = /^[A-Za-z0-9_=-]+$/;

/** Message key length: 19 bytes gives '==' padding in the immutable form and '=' in the regular form. */
export const MESSAGE_KEY_BYTES = 19;

export function base64Url(bytes: Buffer): string {
    return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function fromBase64Url(text: string): Buffer {
    return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** A new immutable message id from the base64url text of MESSAGE_KEY_BYTES random bytes. */
export function immutableMessageId(key: string): string {
    return IMMUTABLE_PREFIX + key;
}

/** The key bytes inside an immutable id. */
export function messageKey(immutableId: string): Buffer {
    return fromBase64Url(immutableId.slice(IMMUTABLE_PREFIX.length));
}

export function regularMessageId(immutableId: string, folderOrdinal: number): string {
    const bytes = Buffer.alloc(4 + MESSAGE_KEY_BYTES);
    bytes.writeUInt32BE(folderOrdinal);
    messageKey(immutableId).copy(bytes, 4);
    return REGULAR_PREFIX + base64Url(bytes);
}

export function folderId(key: string): string {
    return FOLDER_PREFIX + key;
}

export function attachmentIdFor(immutableId: string, index: number): string {
    return REGULAR_PREFIX + base64Url(Buffer.concat([messageKey(immutableId), Buffer.from([index])]));
}

export interface ParsedMessageId {
    immutableId: string;
    /** Set for a regular id: the folder it was issued for. */
    folderOrdinal?: number;
}

/**
 * Splits an id into the immutable id it names and, for a regular id, the folder it was issued for; undefined when it
 * cannot name a message. Decoding is lenient, so a regular id is re-encoded and compared to stay case-exact.
 */
export function parseMessageId(id: string): ParsedMessageId | undefined {
    if (!ID_CHARS.test(id)) return undefined;
    if (id.startsWith(IMMUTABLE_PREFIX)) return { immutableId: id };
    if (!id.startsWith(REGULAR_PREFIX)) return undefined;
    const bytes = fromBase64Url(id.slice(REGULAR_PREFIX.length));
    if (bytes.length !== 4 + MESSAGE_KEY_BYTES) return undefined;
    const folderOrdinal = bytes.readUInt32BE(0);
    const immutableId = immutableMessageId(base64Url(bytes.subarray(4)));
    return regularMessageId(immutableId, folderOrdinal) === id ? { immutableId, folderOrdinal } : undefined;
}

/** Whether Graph would parse the text as an id at all; if not, it answers 400 ErrorInvalidIdMalformed. */
export function looksLikeOutlookId(id: string): boolean {
    return ID_CHARS.test(id) && [IMMUTABLE_PREFIX, REGULAR_PREFIX, FOLDER_PREFIX].some((p) => id.startsWith(p));
}
