import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { decodeText, readBodyPart } from '../../src/mime/bodyPart';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** `bytes` as a stream of chunks of `size`, and how many of them have been read so far. */
function chunked(bytes: Buffer, size: number): { stream: Readable; read: () => number } {
    let read = 0;
    const chunks = function* () {
        for (let at = 0; at < bytes.length; at += size) {
            read++;
            yield bytes.subarray(at, at + size);
        }
    };
    return { stream: Readable.from(chunks()), read: () => read };
}

describe('reading a body part', () => {
    const body = Buffer.from('Hello ' + 'world '.repeat(200));

    it('keeps a part within the limit, with its size and SHA-256', async () => {
        const read = await readBodyPart(chunked(body, 100).stream, body.length);

        expect(read).toEqual({ size: body.length, sha256: sha256(body), bytes: body });
    });

    it('only measures and hashes a part over the limit, reading it to its end', async () => {
        const source = chunked(body, 100);

        const read = await readBodyPart(source.stream, 250);

        expect(read).toEqual({ size: body.length, sha256: sha256(body) });
        expect(source.read()).toBe(Math.ceil(body.length / 100));
    });

    it('hands every byte of a long part, in order, to the one who keeps it', async () => {
        const kept: Buffer[] = [];

        const read = await readBodyPart(chunked(body, 100).stream, 250, async (stream) => {
            for await (const chunk of stream) kept.push(chunk as Buffer);
        });

        expect(Buffer.concat(kept).equals(body)).toBe(true);
        expect(read).toEqual({ size: body.length, sha256: sha256(body) });
    });

    it('describes an empty part', async () => {
        expect(await readBodyPart(Readable.from([]), 10)).toEqual({
            size: 0,
            sha256: sha256(Buffer.alloc(0)),
            bytes: Buffer.alloc(0),
        });
    });
});

describe('decoding body text', () => {
    it('reads the charset the part declares', () => {
        expect(decodeText(Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65]), 'iso-8859-1')).toBe('Grüße');
        expect(decodeText(Buffer.from([0xc1, 0xe2, 0xe2]), 'windows-1251')).toBe('Бвв');
        expect(decodeText(Buffer.from([0x82, 0xa0]), 'shift_jis')).toBe('あ');
        expect(decodeText(Buffer.from('Grüße'), '')).toBe('Grüße');
    });

    it('reads the euro sign, curly quotes and dashes of Windows mail, whichever Latin label it carries', () => {
        // “Price: 5 €” – ‘ok’… as Outlook on Windows writes it.
        const windows1252 = Buffer.from([
            0x93, 0x50, 0x72, 0x69, 0x63, 0x65, 0x3a, 0x20, 0x35, 0x20, 0x80, 0x94, 0x20, 0x96, 0x20, 0x91, 0x6f, 0x6b,
            0x92, 0x85,
        ]);
        for (const label of ['windows-1252', 'iso-8859-1', 'latin1', 'us-ascii', 'cp1252']) {
            expect(decodeText(windows1252, label), label).toBe('“Price: 5 €” – ‘ok’…');
        }
        expect(decodeText(Buffer.from([0x8c, 0x75, 0x76, 0x72, 0x65, 0x99, 0x20, 0x9f]), 'windows-1252')).toBe(
            'Œuvre™ Ÿ',
        );
    });

    it('reads a charset it does not know as UTF-8 rather than failing the message', () => {
        expect(decodeText(Buffer.from('Grüße'), 'x-unknown-charset')).toBe('Grüße');
        expect(decodeText(Buffer.from([0x61, 0xff, 0x62]), 'x-unknown-charset')).toBe('a\ufffdb');
    });
});
