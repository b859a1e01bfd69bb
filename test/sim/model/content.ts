import { createCipheriv, createHash } from 'node:crypto';

/**
 * Deterministic bytes for message bodies and attachments, produced in chunks so a 150 MB message is never held in
 * memory: AES-128-CTR over zeros is a fast keystream that depends only on the seed, so serving a message and hashing
 * it in a test produce the same bytes.
 */
const RAW_LINE = 57; // bytes per base64 line of 76 characters, as MIME encoders emit them
const LINE = 78; // 76 characters + CRLF
const LINES_PER_CHUNK = 840; // about 64 KiB out per chunk
const CRLF = Buffer.from('\r\n');
const ZEROS = Buffer.alloc(RAW_LINE * LINES_PER_CHUNK);

export function* keystream(seed: string, length: number): Generator<Buffer> {
    const key = createHash('sha256').update(`sim:${seed}`).digest().subarray(0, 16);
    const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
    for (let done = 0; done < length;) {
        const n = Math.min(ZEROS.length, length - done);
        yield cipher.update(ZEROS.subarray(0, n));
        done += n;
    }
}

/** Size of `rawBytes` once base64-encoded in CRLF-terminated 76-character lines. */
export function base64LinesSize(rawBytes: number): number {
    const chars = 4 * Math.ceil(rawBytes / 3);
    return chars + 2 * Math.ceil(chars / 76);
}

/** Base64 in CRLF-terminated 76-character lines; every input chunk but the last must be a multiple of 57 bytes. */
export function* base64Lines(raw: Iterable<Buffer>): Generator<Buffer> {
    for (const chunk of raw) {
        const encoded = Buffer.from(chunk.toString('base64'), 'latin1');
        const lines = Math.ceil(encoded.length / 76);
        const out = Buffer.alloc(encoded.length + 2 * lines);
        let o = 0;
        for (let i = 0; i < encoded.length; i += 76) {
            o += encoded.copy(out, o, i, Math.min(i + 76, encoded.length));
            o += CRLF.copy(out, o);
        }
        yield out;
    }
}

/**
 * Exactly `bytes` of printable filler: full 76-character lines, then a shorter last line. A remainder of one byte
 * cannot hold a CRLF and is a lone character.
 */
export function* fillerLines(seed: string, bytes: number): Generator<Buffer> {
    const fullLines = Math.floor(bytes / LINE);
    const rest = bytes % LINE;
    const stream = keystream(seed, (fullLines + (rest > 0 ? 1 : 0)) * RAW_LINE);
    let linesLeft = fullLines;
    for (const chunk of stream) {
        const lines = Math.min(linesLeft, chunk.length / RAW_LINE);
        if (lines > 0) yield* base64Lines([chunk.subarray(0, lines * RAW_LINE)]);
        linesLeft -= lines;
        if (linesLeft === 0 && rest > 0 && chunk.length > lines * RAW_LINE) {
            const last = Buffer.from(chunk.subarray(lines * RAW_LINE).toString('base64'), 'latin1');
            yield rest === 1 ? last.subarray(0, 1) : Buffer.concat([last.subarray(0, rest - 2), CRLF]);
        }
    }
}

export function sha256Of(chunks: Iterable<Buffer>): string {
    const hash = createHash('sha256');
    for (const chunk of chunks) hash.update(chunk);
    return hash.digest('hex');
}
