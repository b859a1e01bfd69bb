import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** A body part read to its end: its bytes (after transfer decoding, in its own charset) counted and hashed. */
export interface BodyBytes {
    size: number;
    sha256: string;
    /** All of its bytes, when there were no more than the limit. */
    bytes?: Buffer;
}

/**
 * Reads a body part keeping at most `limit` bytes in memory. A longer one is only measured and hashed, its
 * bytes handed on the way through to `keepLong` when given (which must read the stream to its end).
 */
export async function readBodyPart(
    content: Readable,
    limit: number,
    keepLong?: (stream: Readable) => Promise<void>,
): Promise<BodyBytes> {
    const hash = createHash('sha256');
    const chunks = content[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head: Buffer[] = [];
    let size = 0;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        hash.update(next.value);
        size += next.value.length;
        head.push(next.value);
        if (size > limit) {
            const rest = passOn(head, chunks, (chunk) => {
                hash.update(chunk);
                size += chunk.length;
            });
            if (keepLong) await keepLong(Readable.from(rest));
            else for await (const chunk of rest) void chunk;
            return { size, sha256: hash.digest('hex') };
        }
    }
    return { size, sha256: hash.digest('hex'), bytes: Buffer.concat(head) };
}

/** The bytes already read, then the rest of the part, each further chunk seen by `onChunk`. */
async function* passOn(
    head: Buffer[],
    chunks: AsyncIterator<Buffer>,
    onChunk: (chunk: Buffer) => void,
): AsyncGenerator<Buffer> {
    yield* head.splice(0);
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        onChunk(next.value);
        yield next.value;
    }
}

/**
 * Text in the charset its part declares. Node's TextDecoder knows the WHATWG encodings (the legacy charsets mail
 * uses among them); an unknown label is read as UTF-8, with replacement characters where bytes do not fit.
 */
export function decodeText(bytes: Buffer, charset: string): string {
    const decoder = decoderFor(charset);
    return decoder.encoding === 'windows-1252' ? decodeWindows1252(bytes) : decoder.decode(bytes);
}

function decoderFor(charset: string) {
    try {
        return new TextDecoder(charset || 'utf-8');
    } catch {
        return new TextDecoder('utf-8');
    }
}

/**
 * What windows-1252 puts at 0x80–0x9F, per the WHATWG index (https://encoding.spec.whatwg.org/index-windows-1252.txt):
 * the euro sign, curly quotes, dashes... Since 20.18.3 and 22.13, Node decodes windows-1252 (and
 * the labels iso-8859-1, latin1 and us-ascii, which mean it) as ISO-8859-1, so these bytes came out as invisible
 * control characters (https://github.com/nodejs/node/issues/56542). The rest of windows-1252 is ISO-8859-1.
 */
const WINDOWS_1252_C1 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

function decodeWindows1252(bytes: Buffer): string {
    return bytes.toString('latin1').replace(/[\u0080-\u009f]/g, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80] ?? c);
}
