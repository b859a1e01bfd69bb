import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { verifyBackup } from '../../src/maintenance/verify';
import { toTableKey } from '../../src/store/tableKeys';
import { runCli } from '../support/cli';
import { indexOf } from '../support/truth';
import { createRecoveryHarness, type RecoveryHarness, sha256 } from '../recovery/recoveryHarness';

describe('verification of stored content', () => {
    let r: RecoveryHarness;

    beforeEach(async () => {
        r = await createRecoveryHarness();
        const alice = r.h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        for (const subject of ['to corrupt', 'to delete', 'untouched']) alice.addMessage('Inbox/Projects', { subject });
        alice.addMessage('Inbox', { subject: 'with file', attachments: [{ name: 'a.pdf', size: 5000 }] });
        const draft = alice.addMessage('Drafts', { subject: 'plan', isDraft: true, body: 'one' });
        await r.backup('full');
        alice.editDraft(draft.id, 'two, a second version');
        await r.backup();
    });
    afterEach(async () => r.close());

    it('passes a clean backup, re-hashing every message, version and attachment', async () => {
        const report = await verifyBackup(r.storage);

        expect(report.problems).toEqual([]);
        expect(report).toMatchObject({
            mailboxes: 1,
            orphansChecked: true,
            // The default format keeps attachments in the .eml only: no attachment rows or blobs.
            rows: { messages: 5, versions: 6, attachments: 0 },
        });
        // Every MIME version and attachment; the JSON copies are only checked for presence.
        let hashable = 0;
        for (const prefix of ['content/', 'attachments/']) {
            for await (const blob of r.storage.content.listBlobs(prefix)) if (!blob.name.endsWith('.json')) hashable++;
        }
        expect(report.blobsHashed).toBe(hashable);

        const result = await runCli(['verify'], r.cliEnv);
        expect(result.code).toBe(0);
        expect(result.stdout).toContain('no problems found');
    });

    it('finds a corrupted blob, a deleted blob, a dangling index entry and an orphan, naming each', async () => {
        const alice = r.h.sim.tenant.user('alice@contoso.com');
        const index = await indexOf(r.storage, alice.id);
        const entity = (subject: string) => [...index.values()].find((e) => e.subject === subject)!;
        const corrupt = entity('to corrupt');
        const original = await r.container.getBlockBlobClient(corrupt.emlBlob).downloadToBuffer();
        const flipped = Buffer.from(original);
        flipped[flipped.length - 3] = (flipped[flipped.length - 3] ?? 0) ^ 0x01;
        await r.container.getBlockBlobClient(corrupt.emlBlob).uploadData(flipped);
        await r.container.deleteBlob(entity('to delete').emlBlob);
        const writer = r.storage.index.writer(alice.id);
        writer.upsertMessage({
            ...entity('untouched'),
            rowKey: toTableKey('AAMk-dangling'),
            messageId: 'AAMk-dangling',
            subject: 'never stored',
            emlBlob: '',
            jsonBlob: '',
        });
        await writer.flush();
        const stray = randomBytes(300);
        const strayName = `content/${sha256(stray).slice(0, 2)}/${sha256(stray)}.eml`;
        await r.container.getBlockBlobClient(strayName).uploadData(stray);

        const report = await verifyBackup(r.storage);

        expect(report.problemCounts).toEqual({ missing: 1, corrupt: 1, dangling: 1, orphan: 1 });
        expect(report.problems).toEqual(
            expect.arrayContaining([
                expect.objectContaining({
                    kind: 'corrupt',
                    subject: 'to corrupt',
                    folderPath: 'Inbox/Projects',
                    blob: corrupt.emlBlob,
                    entry: 'message',
                }),
                expect.objectContaining({
                    kind: 'missing',
                    subject: 'to delete',
                    messageId: entity('to delete').messageId,
                }),
                expect.objectContaining({
                    kind: 'dangling',
                    messageId: 'AAMk-dangling',
                    detail: 'it names no stored content',
                }),
                expect.objectContaining({ kind: 'orphan', blob: strayName }),
            ]),
        );

        const result = await runCli(['verify', '--mailbox', 'alice@contoso.com'], r.cliEnv);
        expect(result.code).toBe(1);
        expect(result.stdout).toMatch(
            /corrupt +alice@contoso\.com Inbox\/Projects: "to corrupt" \(.+\), message: content\//,
        );
        expect(result.stdout).toMatch(/missing +alice@contoso\.com Inbox\/Projects: "to delete"/);
        // One mailbox cannot tell what no mailbox refers to.
        expect(result.stdout).toContain('orphans:  not checked: only one mailbox was verified');
    });

    it('does not call content orphaned while a backup holds a mailbox lock, however old its run', async () => {
        const stray = await r.storage.content.putMime(
            Readable.from([Buffer.from('stored by a live backup, row to follow')]),
        );
        const lock = await r.storage.locks.acquire('bob-mailbox', 'run-started-last-week');
        if (!lock.acquired) throw new Error('the lock of a fresh mailbox is free');
        try {
            const report = await verifyBackup(r.storage);

            expect(report).toMatchObject({ orphansChecked: false, problemCounts: { orphan: 0 } });
            expect(report.orphanNote).toBe(
                'a backup is working on mailbox bob-mailbox (its lock is held): it stores content before the rows naming it',
            );
            expect(report.problems.map((problem) => problem.blob)).not.toContain(stray.blobName);
        } finally {
            await lock.lease.release();
        }
    });

    it('checks sizes without reading content when sampling nothing, and rejects a sample outside 0..1', async () => {
        const report = await verifyBackup(r.storage, { sample: 0 });
        expect(report).toMatchObject({ blobsHashed: 0, problems: [] });

        const result = await runCli(['verify', '--sample', '1.5'], r.cliEnv);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/must be a fraction from 0 to 1/);
        const unknown = await runCli(['verify', '--mailbox', 'nobody@contoso.com'], r.cliEnv);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toMatch(/nobody@contoso\.com has never been backed up/);
    });
});
