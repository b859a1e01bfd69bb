/**
 * File and folder names that every common filesystem accepts, made from display names and subjects.
 *
 * What is replaced by '_' (or dropped):
 *   - `< > : " / \ | ? *` and control characters: forbidden on Windows (and '/' everywhere);
 *   - bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069): they can make
 *     "invoice\u202Egpj.exe" display as "invoiceexe.jpg";
 *   - trailing dots and spaces (Windows drops them, so "Reports." would become "Reports"), leading
 *     spaces, and a leading dot (a hidden file elsewhere; "." and ".." would name other folders);
 *   - the reserved device names CON, PRN, AUX, NUL, COM0–9, LPT0–9, with or without an extension,
 *     are prefixed with '_'.
 * https://learn.microsoft.com/windows/win32/fileio/naming-a-file
 * Length: NAME_MAX is 255 bytes on Linux and macOS and 255 UTF-16 units on Windows; a name is cut to
 * MAX_NAME_BYTES of UTF-8 (never inside a character) so a suffix and an extension still fit.
 */
const MAX_NAME_BYTES = 120;
// eslint-disable-next-line no-control-regex -- control characters are what is being removed
const FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

export function safeName(name: string, maxBytes = MAX_NAME_BYTES): string {
    const cleaned = tidyEnds(truncateUtf8(tidyEnds(name.normalize('NFC').replace(FORBIDDEN, '_')), maxBytes));
    if (cleaned === '') return '_';
    return RESERVED.test(cleaned) ? `_${cleaned}` : cleaned;
}

function tidyEnds(name: string): string {
    return name
        .replace(/[. ]+$/, '')
        .replace(/^ +/, '')
        .replace(/^\./, '_');
}

/** At most `maxBytes` of UTF-8, cut between code points. */
function truncateUtf8(name: string, maxBytes: number): string {
    if (Buffer.byteLength(name, 'utf8') <= maxBytes) return name;
    let bytes = 0;
    let end = 0;
    for (const character of name) {
        bytes += Buffer.byteLength(character, 'utf8');
        if (bytes > maxBytes) break;
        end += character.length;
    }
    return name.slice(0, end);
}
