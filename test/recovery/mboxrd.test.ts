import { Readable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { fromLine, MboxrdQuote } from '../../src/recovery/mboxrd';

/** The message as it stands in the mbox file, its content split into the given chunks on the way. */
async function quoted(chunks: string[]): Promise<string> {
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(chunks.map((c) => Buffer.from(c))).pipe(new MboxrdQuote())) {
        out.push(chunk as Buffer);
    }
    return Buffer.concat(out).toString('utf8');
}

/** What an mboxrd reader does to a message's lines: one '>' fewer on every line matching `^>+From `. */
function unquote(text: string): string {
    return text.replace(/^>(>*From )/gm, '$1');
}

/** Every way of cutting `text` into two chunks, and into single bytes. */
function splits(text: string): string[][] {
    const ways = [[text], [...text]];
    for (let at = 1; at < text.length; at++) ways.push([text.slice(0, at), text.slice(at)]);
    return ways;
}

describe('quoting a message for mboxrd', () => {
    const message = 'From: alice@contoso.com\nSubject: hi\n\nFrom here on\n>From the archive\n>>From deeper\nFrom\n';

    it('adds one ">" to every line that starts with From or quoted From, and only those', async () => {
        expect(await quoted([message])).toBe(
            'From: alice@contoso.com\nSubject: hi\n\n>From here on\n>>From the archive\n>>>From deeper\nFrom\n\n',
        );
    });

    it('quotes the same however the message is cut into chunks', async () => {
        const whole = await quoted([message]);
        for (const chunks of splits(message)) expect(await quoted(chunks), JSON.stringify(chunks)).toBe(whole);
    });

    it('gives back the exact message to a reader that removes the quoting', async () => {
        const tricky = 'From the start\nnot From here\n>From\n>>From x\nFro\nFrom';
        const stored = await quoted([tricky]);

        expect(stored.endsWith('\n\n')).toBe(true);
        expect(unquote(stored.slice(0, -2))).toBe(tricky);
    });

    it('leaves "From " alone in the middle of a line', async () => {
        expect(await quoted(['Reply From Bob\n', 'x >From y\n'])).toBe('Reply From Bob\nx >From y\n\n');
    });

    it('ends every message with a newline and the empty line that separates it from the next', async () => {
        expect(await quoted(['body\n'])).toBe('body\n\n');
        expect(await quoted(['no final newline'])).toBe('no final newline\n\n');
        expect(await quoted(['ends in Fr'])).toBe('ends in Fr\n\n');
        expect(await quoted([])).toBe('\n');
    });
});

describe('the From line before each message', () => {
    it('tells the received time in UTC, asctime style', () => {
        expect(fromLine('2026-11-26T02:15:07Z')).toBe('From - Thu Nov 26 02:15:07 2026\n');
        expect(fromLine('2025-03-01T23:30:00-05:00')).toBe('From - Sun Mar  2 04:30:00 2025\n');
    });

    it('still writes a valid separator when the time is unknown', () => {
        expect(fromLine('')).toBe('From - Thu Jan  1 00:00:00 1970\n');
        expect(fromLine('not a date')).toBe('From - Thu Jan  1 00:00:00 1970\n');
    });
});
