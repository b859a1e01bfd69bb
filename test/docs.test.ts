/**
 * Comments and settings may cite only documents a reader of the repository can open: files under docs/. The
 * project's old notes outside the repository (built from parts here, so this file does not cite them itself) must not
 * come back, and a cited docs/ file must exist. The README and docs/ read in a terminal: no line over 120 characters,
 * tables included.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const SCANNED = ['src', 'test', 'scripts', 'infra', 'host.json'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage']);
const OUTSIDE_NOTES = [
    ['graph', 'facts'],
    ['azure-functions', 'facts'],
    ['prior', 'art'],
].map((parts) => parts.join('-'));
const OUTSIDE_CITATION = new RegExp(`\\b(${OUTSIDE_NOTES.join('|')})\\b`);
const DOCS_CITATION = /\bdocs\/[\w./-]*?\.md\b/g;
/** A citation `(docs/<file>.md, "Section")`: the section is a heading of that file (or the start of one). */
const SECTION_CITATION = /\b(docs\/[\w./-]*?\.md), "([^"]+)"/g;

function filesUnder(relative: string): string[] {
    const absolute = path.join(ROOT, relative);
    if (!existsSync(absolute)) return [];
    if (!statSync(absolute).isDirectory()) return [relative];
    return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
        if (entry.isDirectory() && SKIPPED_DIRS.has(entry.name)) return [];
        return filesUnder(path.join(relative, entry.name));
    });
}

interface Line {
    file: string;
    number: number;
    text: string;
}

function scannedLines(): Line[] {
    return SCANNED.flatMap(filesUnder).flatMap((file) =>
        readFileSync(path.join(ROOT, file), 'utf8')
            .split('\n')
            .map((text, index) => ({ file: file.split(path.sep).join('/'), number: index + 1, text })),
    );
}

describe('citations in src, test, scripts, infra and host.json', () => {
    const lines = scannedLines();

    it('scans the source tree and the scripts', () => {
        expect(lines.some((line) => line.file === 'src/config.ts')).toBe(true);
        expect(lines.some((line) => line.file === 'scripts/demo.ts')).toBe(true);
    });

    it('cite no note kept outside the repository', () => {
        const outside = lines
            .filter((line) => OUTSIDE_CITATION.test(line.text))
            .map((line) => `${line.file}:${line.number}: ${line.text.trim()}`);
        expect(outside).toEqual([]);
    });

    it('cite only docs/ files that exist', () => {
        const missing = lines.flatMap((line) =>
            [...line.text.matchAll(DOCS_CITATION)]
                .map((match) => match[0])
                .filter((cited) => !existsSync(path.join(ROOT, cited)))
                .map((cited) => `${line.file}:${line.number}: ${cited}`),
        );
        expect(missing).toEqual([]);
    });

    it('cite only sections that docs/ files have', () => {
        const headings = (doc: string) =>
            readFileSync(path.join(ROOT, doc), 'utf8')
                .split('\n')
                .filter((text) => /^#+ /.test(text))
                .map((text) => text.replace(/^#+ /, ''));
        const missing = lines.flatMap((line) =>
            [...line.text.matchAll(SECTION_CITATION)]
                .filter(([, doc = '']) => existsSync(path.join(ROOT, doc)))
                .filter(([, doc = '', section = '']) => !headings(doc).some((heading) => heading.startsWith(section)))
                .map(([cited]) => `${line.file}:${line.number}: ${cited}`),
        );
        expect(missing).toEqual([]);
    });
});

describe('the README and docs/', () => {
    const MAX_LINE = 120;
    const documents = ['README.md', ...filesUnder('docs').filter((file) => file.endsWith('.md'))];

    /** A URL longer than a line (with the line's indentation) cannot be wrapped; its line may be longer. */
    const unwrappableUrl = (text: string) =>
        [...text.matchAll(/\S*https?:\/\/\S*/g)].some(([url = '']) => text.search(/\S/) + url.length > MAX_LINE);

    /** Lines over the limit, tables included (a wider table wraps in a terminal and no longer reads as one), outside
     * fenced code blocks. */
    function longLines(file: string): string[] {
        let fenced = false;
        return readFileSync(path.join(ROOT, file), 'utf8')
            .split('\n')
            .flatMap((text, index) => {
                if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
                const length = [...text].length;
                const exempt = fenced || unwrappableUrl(text);
                return length > MAX_LINE && !exempt
                    ? [`${file.split(path.sep).join('/')}:${index + 1} (${length})`]
                    : [];
            });
    }

    it('are read in a terminal: no line over 120 characters, tables included, outside code blocks', () => {
        expect(documents).toContain('docs/storage-format.md');
        expect(documents.flatMap(longLines)).toEqual([]);
    });
});
