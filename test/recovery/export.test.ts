import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { exportMailbox } from '../../src/recovery/export';
import { generateTenant, type SimUser } from '../sim';
import { runCli } from '../support/cli';
import {
    createRecoveryHarness,
    filesUnder,
    readMboxrd,
    type RecoveryHarness,
    sha256,
    sha256OfFile,
} from './recoveryHarness';

const MIB = 1024 * 1024;
const STACK = /^\s+at /m;
// What no exported name may hold on any common filesystem.
// eslint-disable-next-line no-control-regex -- control characters are among what must not appear
const UNSAFE_NAME = /[<>:"\\|?*\u0000-\u001f]|[. ]$|^\.|^(con|prn|aux|nul|conin\$|conout\$|com\d|lpt\d) *(\..*)?$/i;

/** How NTFS compares names (each character upper-cased) and how APFS does (case and normalisation folded). */
const FOLDS: [string, (name: string) => string][] = [
    ['NTFS', (name) => name.toUpperCase()],
    ['APFS', (name) => name.normalize('NFD').toUpperCase().toLowerCase().normalize('NFD')],
];

/** Fails when two of `files` would be one file on NTFS or APFS. */
function expectDistinctWhereFolded(files: string[]): void {
    for (const [fileSystem, fold] of FOLDS) {
        const byKey = new Map<string, string[]>();
        for (const file of files) byKey.set(fold(file), [...(byKey.get(fold(file)) ?? []), file]);
        const same = [...byKey.values()].filter((group) => group.length > 1);
        expect(same, `one file on ${fileSystem}`).toEqual([]);
    }
}

/** The messages' checksums grouped by folder, each group sorted: what an export must reproduce. */
function byFolder(user: SimUser): string[][] {
    const groups = new Map<string, string[]>();
    for (const m of user.messages()) groups.set(m.folderId, [...(groups.get(m.folderId) ?? []), m.sha256()]);
    return [...groups.values()].map((g) => g.sort()).sort();
}

async function exportedByDirectory(out: string): Promise<string[][]> {
    const groups = new Map<string, string[]>();
    for (const file of await filesUnder(out)) {
        expect(file.endsWith('.eml'), file).toBe(true);
        const directory = path.dirname(file);
        groups.set(directory, [...(groups.get(directory) ?? []), await sha256OfFile(path.join(out, file))]);
    }
    return [...groups.values()].map((g) => g.sort()).sort();
}

describe('export of a backed-up mailbox', () => {
    let r: RecoveryHarness;
    let work: string;

    beforeEach(async () => {
        work = await mkdtemp(path.join(os.tmpdir(), 'export-test-'));
    });
    afterEach(async () => {
        await r.close();
        await rm(work, { recursive: true, force: true });
    });

    it('writes every message of a generated tenant byte for byte, one directory per folder, hostile names made safe', async () => {
        r = await createRecoveryHarness({ tenant: generateTenant({ mailboxes: 2, messagesPerMailbox: 80, seed: 7 }) });
        const [adele] = r.h.sim.tenant.users().filter((u) => u.kind === 'member');
        const user = adele!;
        for (const name of [
            'a/b',
            'back\\slash',
            '..',
            '.',
            'CON',
            'aux.txt',
            'Reports.',
            'pipe|star*?',
            'L'.repeat(250),
        ]) {
            user.addMessage(user.addFolder('Inbox', name).id, { subject: `in ${name}` });
        }
        // Made safe, both are "pipe_star__": one directory each all the same.
        user.addMessage(user.addFolder('Inbox', 'pipe*star?|').id, { subject: 'a twin after cleaning' });
        for (const subject of ['Same', 'Same', 'same', '../../escape', 'C:\\Windows\\evil', '']) {
            user.addMessage('Inbox', { subject });
        }
        const { run } = await r.backup('full');
        expect(run.status).toBe('succeeded');

        const out = path.join(work, 'out');
        const result = await runCli(['export', '--mailbox', user.upn, '--out', out], r.cliEnv);

        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(`exported: ${user.messages().length} messages`);
        expect(await exportedByDirectory(out)).toEqual(byFolder(user));
        for (const file of await filesUnder(out)) {
            for (const part of file.split(path.sep)) {
                expect(part, file).not.toMatch(UNSAFE_NAME);
                expect(Buffer.byteLength(part), file).toBeLessThanOrEqual(255);
            }
        }
        expect(await filesUnder(work)).toEqual((await filesUnder(out)).map((f) => path.join('out', f)));
    });

    it('writes one mboxrd file per folder that reads back to the exact messages, quoted From lines included', async () => {
        r = await createRecoveryHarness();
        const alice = r.h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        const tricky = Buffer.from(
            'Subject: tricky\r\n\r\nFrom here on\r\n>From quoted once\r\n>>From twice\r\nFrom\r\nFro\r\n>\r\nend\r\n',
        );
        alice.addMessage('Inbox', { subject: 'tricky', mime: tricky });
        alice.addMessage('Inbox', {
            subject: 'starts with From',
            mime: Buffer.from('From sender\r\nSubject: x\r\n\r\nhi\r\n'),
        });
        for (let i = 0; i < 5; i++) alice.addMessage('Inbox/Projects', { subject: `project ${i}` });
        alice.addMessage('Archive', { subject: 'attached', attachments: [{ name: 'a.pdf', size: 70_000 }] });
        await r.backup('full');

        const out = path.join(work, 'mbox');
        const result = await runCli(['export', '--mailbox', alice.id, '--out', out, '--format', 'mbox'], r.cliEnv);

        expect(result.code).toBe(0);
        const files = (await filesUnder(out)).sort();
        expect(files).toEqual(['Archive.mbox', 'Inbox.mbox', path.join('Inbox', 'Projects.mbox')]);
        const groups: string[][] = [];
        for (const file of files) {
            groups.push(
                readMboxrd(await readFile(path.join(out, file)))
                    .map(sha256)
                    .sort(),
            );
        }
        expect(groups.sort()).toEqual(byFolder(alice));
    });

    it('keeps apart folders whose names Windows or macOS would fold into one, and renames device names', async () => {
        r = await createRecoveryHarness();
        const alice = r.h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        const names = [
            'Class',
            'Claſſ',
            'σοφός',
            'σοφόσ',
            'µ',
            'μ',
            'caf\u00e9',
            'cafe\u0301',
            'CON .txt',
            'CONIN$',
            'conout$',
        ];
        for (const name of names) alice.addMessage(alice.addFolder('Inbox', name).id, { subject: `in ${name}` });
        await r.backup('full');

        for (const format of ['eml', 'mbox']) {
            const out = path.join(work, format);
            const result = await runCli(['export', '--mailbox', alice.upn, '--out', out, '--format', format], r.cliEnv);

            expect(result.stderr).toBe('');
            expect(result.code).toBe(0);
            const files = await filesUnder(out);
            expectDistinctWhereFolded(files);
            expectDistinctWhereFolded(format === 'eml' ? files.map((f) => path.dirname(f)) : files);
            for (const part of files.flatMap((file) => file.split(path.sep))) expect(part).not.toMatch(UNSAFE_NAME);
            if (format === 'eml') {
                expect(await exportedByDirectory(out)).toEqual(byFolder(alice));
            } else {
                const groups = await Promise.all(
                    files.map(async (f) =>
                        readMboxrd(await readFile(path.join(out, f)))
                            .map(sha256)
                            .sort(),
                    ),
                );
                expect(groups.sort()).toEqual(byFolder(alice));
            }
        }
    });

    it('creates every exported folder and file, and the index export, readable by their owner only', async () => {
        r = await createRecoveryHarness();
        const alice = r.h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        alice.addMessage('Inbox/Projects', { subject: 'plan' });
        alice.addMessage('Inbox', { subject: 'hello' });
        await r.backup('full');
        // The usual umask, which leaves files readable by everyone; the CLI inherits it.
        const umask = process.umask(0o022);
        try {
            for (const format of ['eml', 'mbox']) {
                const out = path.join(work, format);
                const result = await runCli(
                    ['export', '--mailbox', alice.upn, '--out', out, '--format', format],
                    r.cliEnv,
                );
                expect(result.code, result.stderr).toBe(0);
                const entries = await readdir(out, { recursive: true, withFileTypes: true });
                expect(entries.some((e) => e.isDirectory())).toBe(true);
                expect(((await stat(out)).mode & 0o777).toString(8), out).toBe('700');
                for (const entry of entries) {
                    const file = path.join(entry.parentPath, entry.name);
                    const mode = ((await stat(file)).mode & 0o777).toString(8);
                    expect(mode, file).toBe(entry.isDirectory() ? '700' : '600');
                }
            }
            const index = path.join(work, 'index.json');
            const result = await runCli(['export-index', '--out', index], r.cliEnv);
            expect(result.code, result.stderr).toBe(0);
            expect(((await stat(index)).mode & 0o777).toString(8)).toBe('600');
        } finally {
            process.umask(umask);
        }
    });

    it('exports a 120 MB message without holding it in memory', async () => {
        r = await createRecoveryHarness();
        const alice = r.h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        const large = alice.addMessage('Inbox', { subject: 'huge', size: 120 * MIB });
        await r.backup('full');
        const out = path.join(work, 'large');

        const baseline = process.memoryUsage().rss;
        let peak = baseline;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
        const summary = await exportMailbox(
            r.storage,
            { id: alice.id, userPrincipalName: alice.upn },
            { out, format: 'eml', folders: true },
        ).finally(() => clearInterval(sampler));

        expect(summary).toMatchObject({ messages: 1, bytes: large.size, failed: [] });
        const [file] = await filesUnder(out);
        expect(await sha256OfFile(path.join(out, file!))).toBe(large.sha256());
        expect((peak - baseline) / MIB).toBeLessThan(64);
    }, 180_000);

    it('exports the mailbox as an earlier backup saw it, and without folders when asked', async () => {
        r = await createRecoveryHarness();
        const alice = r.h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        const draft = alice.addMessage('Drafts', { subject: 'plan', isDraft: true, body: 'first words' });
        const gone = alice.addMessage('Inbox', { subject: 'gone' });
        await r.backup('full');
        const before = [draft.sha256(), gone.sha256()].sort();
        const asOf = new Date().toISOString();
        alice.editDraft(draft.id, 'rewritten entirely');
        alice.deleteMessage(gone.id);
        await r.backup();

        const out = path.join(work, 'then');
        const result = await runCli(
            ['export', '--mailbox', alice.upn, '--out', out, '--as-of', asOf, '--no-folders'],
            r.cliEnv,
        );

        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/as of .* \(full backup /);
        const files = await filesUnder(out);
        expect(files.every((f) => !f.includes(path.sep))).toBe(true);
        expect(await Promise.all(files.map((f) => sha256OfFile(path.join(out, f))))).toEqual(
            expect.arrayContaining(before),
        );
        expect(files).toHaveLength(2);
    });

    it('refuses bad input with one clear line and a non-zero exit', async () => {
        r = await createRecoveryHarness();
        const alice = r.h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addMessage('Inbox', { subject: 'hi' });
        const firstBackupStart = new Date(Date.now() - 60_000).toISOString();
        await r.backup('full');
        const full = path.join(work, 'full');
        await writeFile(path.join(work, 'note.txt'), 'x');

        const cases: [string[], RegExp][] = [
            [['--mailbox', 'nobody@contoso.com', '--out', full], /nobody@contoso\.com has never been backed up/],
            [
                ['--mailbox', 'alice@contoso.com', '--out', full, '--as-of', 'yesterday'],
                /--as-of: "yesterday" is not an ISO 8601/,
            ],
            [
                ['--mailbox', 'alice@contoso.com', '--out', full, '--as-of', firstBackupStart],
                /no backup of this mailbox had completed by then/,
            ],
            [['--mailbox', 'alice@contoso.com', '--out', work], /is not empty/],
            [
                ['--mailbox', 'alice@contoso.com', '--out', path.join(work, 'note.txt', 'sub')],
                /cannot write to the folder/,
            ],
            [['--mailbox', 'alice@contoso.com', '--out', full, '--format', 'pst'], /eml, mbox/],
        ];
        for (const [args, message] of cases) {
            const result = await runCli(['export', ...args], r.cliEnv);
            expect(result.code, args.join(' ')).toBe(2);
            expect(result.stderr).toMatch(message);
            expect(result.stderr).not.toMatch(STACK);
        }
    });
});
