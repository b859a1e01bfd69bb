/**
 * File and folder names that every common filesystem accepts, made from display names and subjects.
 *
 * What is replaced by '_' (or dropped):
 *   - `< > : " / \ | ? *` and control characters: forbidden on Windows (and '/' everywhere);
 *   - bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069): they can make
 *     "invoice\u202Egpj.exe" display as "invoiceexe.jpg";
 *   - trailing dots and spaces (Windows drops them, so "Reports." would become "Reports"), leading
 *     spaces, and a leading dot (a hidden file elsewhere; "." and ".." would name other folders);
 *   - the reserved device names CON, PRN, AUX, NUL, COM0–9, LPT0–9 and the console's CONIN$ and
 *     CONOUT$, alone, before an extension, or before spaces and an extension ("CON .txt" opens the
 *     console too: Windows drops the spaces ahead of the dot), are prefixed with '_'.
 * https://learn.microsoft.com/windows/win32/fileio/naming-a-file and, for CONIN$ and CONOUT$,
 * https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-createfilew#consoles
 * Length: NAME_MAX is 255 bytes on Linux and macOS and 255 UTF-16 units on Windows; a name is cut to
 * MAX_NAME_BYTES of UTF-8 (never inside a character) so a suffix and an extension still fit.
 */
const MAX_NAME_BYTES = 120;
// eslint-disable-next-line no-control-regex -- control characters are what is being removed
const FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *(\..*)?$/i;

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

/**
 * The key under which two names are the same file on a file system that folds names: equal keys must
 * never name two files. NTFS compares names by upper-casing each character (so `ſ` is `s`, `ς` is `σ`,
 * the micro sign `µ` is `μ`), APFS and HFS+ by case folding and ignoring the normalisation form (so
 * `é` precomposed is `e` + U+0301). Upper- then lower-casing covers both case rules, and NFKC before
 * and after covers the forms (and compatibility characters such as `ﬁ`, which no file system folds:
 * folding more than a file system does costs a `(2)`, folding less loses a file).
 * https://learn.microsoft.com/windows/win32/fileio/naming-a-file#naming-conventions and
 * https://developer.apple.com/documentation/foundation/file_system/about_apple_file_system
 */
export function collisionKey(name: string): string {
    return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}
