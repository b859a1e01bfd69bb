import { describe, expect, it } from 'vitest';

import {
    attachmentRowKey,
    fromTableKey,
    isDigestKey,
    MAX_KEY_LENGTH,
    messageRowKeyRange,
    toTableKey,
    versionRowKey,
} from '../../src/store/tableKeys';
import { Rng } from '../sim/model/rng';

// Characters Table Storage forbids in keys, plus those the encoding reserves.
// eslint-disable-next-line no-control-regex -- the control characters are the point
const FORBIDDEN_IN_KEYS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
const HOSTILE_PIECES = ['/', '\\', '..', '#', '?', '%', '%2F', '!', '!2F', '~', "'", '"', '.', ' ', '\u0000', '\n'];
const HOSTILE_PIECES_2 = ['\u001f', '\u007f', '\u0085', '\u009f', 'é', '😀', '\ud800', '\udfff', 'AAMkAG=', '-_+='];
const PIECES = [...HOSTILE_PIECES, ...HOSTILE_PIECES_2];

function hostileId(next: () => number): string {
    const length = Math.floor(next() ** 3 * 400);
    let id = '';
    while (id.length < length) {
        id += next() < 0.5 ? (PIECES[Math.floor(next() * PIECES.length)] ?? '') : String.fromCharCode(next() * 0x3000);
    }
    return id;
}

function isWellFormed(key: string): boolean {
    return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(key);
}

describe('toTableKey', () => {
    it('leaves a Graph id as it is', () => {
        const id =
            'AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAEMAAAiIsqMbYjsT5e-T7KzowPTAAAYbvZDAAA=';
        expect(toTableKey(id)).toBe(id);
    });

    it('escapes forbidden and reserved characters', () => {
        expect(toTableKey("a/b\\c#d?e%f!g~h'i\u0000j\u007fk\u009f")).toBe(
            'a!2Fb!5Cc!23d!3Fe!25f!21g!7Eh!27i!00j!7Fk!9F',
        );
    });

    it('round-trips thousands of hostile ids into valid keys', () => {
        const rng = new Rng(20261126);
        const next = () => rng.next();
        for (let i = 0; i < 5000; i++) {
            const id = hostileId(next);
            const key = toTableKey(id);
            expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
            expect(key).not.toMatch(FORBIDDEN_IN_KEYS);
            expect(key).not.toContain('~');
            expect(isWellFormed(key)).toBe(true);
            if (!isDigestKey(key)) expect(fromTableKey(key)).toBe(id);
        }
    });

    it('round-trips ids that are only trailing dots, only escapes, or empty', () => {
        for (const id of ['', '.', '..', 'x...', '%%%', '!!!', '~~', '\ud83d', '😀'.repeat(100)]) {
            expect(fromTableKey(toTableKey(id))).toBe(id);
        }
    });

    it('replaces a long id by a readable prefix and its digest, distinct per id', () => {
        const long = 'A'.repeat(300);
        const key = toTableKey(long);
        expect(isDigestKey(key)).toBe(true);
        expect(key.startsWith('A'.repeat(100))).toBe(true);
        expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
        expect(toTableKey(`${long}B`)).not.toBe(key);
        expect(() => fromTableKey(key)).toThrow(/digest/);
    });

    it('never cuts an escape sequence or a surrogate pair when shortening', () => {
        for (const unit of ['/', '😀', '\ud800', 'é/']) {
            for (let offset = 0; offset < 8; offset++) {
                const key = toTableKey('x'.repeat(offset) + unit.repeat(200));
                const prefix = key.slice(0, key.indexOf('!!'));
                expect(isWellFormed(prefix)).toBe(true);
                expect(fromTableKey(prefix).length).toBeGreaterThan(0);
            }
        }
    });
});

describe('composite row keys', () => {
    it('fit in 512 UTF-16 code units however long the ids', () => {
        const long = '😀/'.repeat(500);
        expect(attachmentRowKey(long, long).length).toBeLessThanOrEqual(512);
        expect(versionRowKey(long, 999999).length).toBeLessThanOrEqual(512);
    });

    it("put every row of a message, and no other message's, in its range", () => {
        const { from, to } = messageRowKeyRange('m');
        const inRange = (key: string) => key >= from && key < to;
        expect(inRange(versionRowKey('m', 1))).toBe(true);
        expect(inRange(attachmentRowKey('m', 'é'))).toBe(true);
        expect(inRange(attachmentRowKey('m', '\uffff'))).toBe(true);
        expect(inRange(versionRowKey('m~', 1))).toBe(false);
        expect(inRange(versionRowKey('m~1', 1))).toBe(false);
        expect(inRange(versionRowKey('mm', 1))).toBe(false);
        expect(inRange(toTableKey('m'))).toBe(false);
    });
});
