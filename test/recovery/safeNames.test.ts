import { describe, expect, it } from 'vitest';

import { collisionKey, safeName } from '../../src/recovery/safeNames';

describe('safeName', () => {
    it('replaces the characters Windows refuses in a file name, and control characters', () => {
        expect(safeName('Re: Q3 <draft> "final"?')).toBe('Re_ Q3 _draft_ _final__');
        expect(safeName('a/b\\c|d*e')).toBe('a_b_c_d_e');
        expect(safeName('tab\there\nnew line\u007f')).toBe('tab_here_new line_');
    });

    it('defuses bidirectional overrides that would disguise an extension', () => {
        const disguised = safeName('invoice\u202Egpj.exe');

        expect(disguised).toBe('invoice_gpj.exe');
        expect(disguised).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    });

    it('drops the trailing dots and spaces Windows would drop, and hides nothing behind a leading dot', () => {
        expect(safeName('Reports. . ')).toBe('Reports');
        expect(safeName('  Inbox')).toBe('Inbox');
        expect(safeName('.profile')).toBe('_profile');
        expect(safeName('..')).toBe('_');
        expect(safeName('.')).toBe('_');
    });

    it('answers a name even for one with nothing usable in it', () => {
        expect(safeName('')).toBe('_');
        expect(safeName('   ')).toBe('_');
        expect(safeName('...')).toBe('_');
    });

    it('prefixes the reserved device names, alone or before an extension, whatever their case', () => {
        for (const name of ['CON', 'con.txt', 'Nul', 'aux.tar.gz', 'COM1', 'lpt9.eml', 'CONIN$', 'conout$.log']) {
            expect(safeName(name), name).toBe(`_${name}`);
        }
        expect(safeName('CON .txt')).toBe('_CON .txt');
        expect(safeName('COM¹')).toBe('_COM¹');
        for (const name of ['Console', 'CONTACTS', 'com10', 'nullable.txt', 'my CON']) {
            expect(safeName(name), name).toBe(name);
        }
    });

    it('cuts a long name to the byte limit between characters, never inside one', () => {
        const long = 'é'.repeat(100); // 200 bytes of UTF-8

        const cut = safeName(long, 51);

        expect(Buffer.byteLength(cut, 'utf8')).toBe(50);
        expect(cut).toBe('é'.repeat(25));
        expect(Buffer.byteLength(safeName('😀'.repeat(100)), 'utf8')).toBeLessThanOrEqual(120);
        expect(safeName('😀'.repeat(100))).toBe('😀'.repeat(30));
    });

    it('does not leave a trailing dot or space where the cut fell', () => {
        expect(safeName('abc. def', 5)).toBe('abc');
    });

    it('composes a decomposed name, so the same name on macOS and Windows is one file', () => {
        expect(safeName('Cafe\u0301')).toBe('Caf\u00e9');
    });
});

describe('collisionKey', () => {
    it('is the same for names a case-insensitive file system takes for one', () => {
        expect(collisionKey('Projects')).toBe(collisionKey('PROJECTS'));
        expect(collisionKey('Claſſ')).toBe(collisionKey('class'));
        expect(collisionKey('ΣΟΦΟΣ')).toBe(collisionKey('σοφος'));
        expect(collisionKey('µ')).toBe(collisionKey('μ'));
        expect(collisionKey('Caf\u00e9')).toBe(collisionKey('Cafe\u0301'));
    });

    it('differs for names that are different files', () => {
        expect(collisionKey('Projects')).not.toBe(collisionKey('Project'));
        expect(collisionKey('café')).not.toBe(collisionKey('cafe'));
    });
});
