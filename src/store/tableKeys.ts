/**
 * PartitionKey and RowKey values made from arbitrary ids (Graph message, folder and attachment ids).
 *
 * Table Storage forbids '/', '\', '#', '?' and the control characters U+0000–U+001F and U+007F–U+009F
 * in keys, and limits a key to 1 KiB, which the service counts as UTF-16: 512 code units (Azurite
 * rejects 513). https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model
 *
 * Encoding (reversible): every forbidden character, and each of these, becomes '!' + two uppercase hex
 * digits of its code unit:
 *   '!'  the escape character itself;
 *   '~'  our separator in composite row keys (`<message key>~<version>`), so a key never contains one
 *        and `<key>~` is a prefix no other message's rows share;
 *   '%'  keys holding '%' break point operations on Azure (GET/DELETE by URL);
 *   "'"  the OData string delimiter, which has broken entity deletes in Azurite.
 * A lone UTF-16 surrogate, which cannot survive the service's UTF-8, becomes '!u' + four hex digits.
 *
 * Digest keys (not reversible): an encoded key longer than MAX_KEY_LENGTH is replaced by the first
 * DIGEST_PREFIX_LENGTH characters of its encoding, '!!', and the hex SHA-256 of the UTF-8 of the id.
 * '!!' never occurs in an encoded key, so digest keys cannot collide with encoded ones. The limit
 * leaves room for a composite key of two keys and a separator (2 × 255 + 1 ≤ 512). Entities keep the
 * original id in a property (messageId, folderId, attachmentId); read it from there.
 */
import { createHash } from 'node:crypto';

export const MAX_KEY_LENGTH = 255;
const DIGEST_PREFIX_LENGTH = 120;
const DIGEST_MARKER = '!!';
const SEPARATOR = '~';

// Matches one character to escape: the ASCII/Latin-1 set above, or a surrogate without its partner.
const ESCAPED =
    // eslint-disable-next-line no-control-regex -- Table Storage forbids control characters in keys
    /[!~%'/\\#?\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ESCAPE_SEQUENCE = /!(?:u([0-9A-F]{4})|([0-9A-F]{2}))/g;

export function toTableKey(id: string): string {
    const encoded = id.replace(ESCAPED, escapeCharacter);
    if (encoded.length <= MAX_KEY_LENGTH) return encoded;
    const digest = createHash('sha256').update(id, 'utf8').digest('hex');
    return `${encodedPrefix(encoded, DIGEST_PREFIX_LENGTH)}${DIGEST_MARKER}${digest}`;
}

/** The id a key was made from. Throws for a digest key, whose id lives only in the entity. */
export function fromTableKey(key: string): string {
    if (isDigestKey(key)) {
        throw new Error(`Table key ${key.slice(0, 40)}… is a digest of a long id; read the id from the entity`);
    }
    return key.replace(ESCAPE_SEQUENCE, (_match, wide: string | undefined, narrow: string | undefined) =>
        String.fromCharCode(parseInt(wide ?? narrow ?? '', 16)),
    );
}

export function isDigestKey(key: string): boolean {
    return key.includes(DIGEST_MARKER);
}

/** `versions` row key: the message's key and its version number, padded so versions sort numerically. */
export function versionRowKey(messageId: string, version: number): string {
    return `${toTableKey(messageId)}${SEPARATOR}${String(version).padStart(6, '0')}`;
}

/** `attachments` row key: the message's key and the attachment's key. */
export function attachmentRowKey(messageId: string, attachmentId: string): string {
    return `${toTableKey(messageId)}${SEPARATOR}${toTableKey(attachmentId)}`;
}

/**
 * The RowKey range [from, to) holding every composite key of one message: those starting `<key>~`.
 * '\u007f' follows '~' in both UTF-8 and UTF-16 order, so nothing else falls in between.
 */
export function messageRowKeyRange(messageId: string): { from: string; to: string } {
    const key = toTableKey(messageId);
    return { from: `${key}${SEPARATOR}`, to: `${key}\u007f` };
}

function escapeCharacter(character: string): string {
    const code = character.charCodeAt(0);
    const hex = code.toString(16).toUpperCase();
    return code > 0xff ? `!u${hex.padStart(4, '0')}` : `!${hex.padStart(2, '0')}`;
}

/** At most `length` characters of an encoded key, never cutting an escape sequence or a surrogate pair. */
function encodedPrefix(encoded: string, length: number): string {
    let end = length;
    const lastEscape = encoded.lastIndexOf('!', end - 1);
    if (lastEscape >= 0 && lastEscape + escapeLength(encoded, lastEscape) > end) end = lastEscape;
    const before = encoded.charCodeAt(end - 1);
    if (before >= 0xd800 && before <= 0xdbff) end -= 1;
    return encoded.slice(0, end);
}

function escapeLength(encoded: string, at: number): number {
    return encoded[at + 1] === 'u' ? 6 : 3;
}
