import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { SimUser } from '../sim';
import { runCli } from '../support/cli';
import { createHarness, type Harness } from '../support/harness';
import { testConnectionString, uniquePrefix } from '../support/storage';
import { expectBackupMatches, indexOf } from '../support/truth';
import { expectRestored, restore } from './support';

const MB = 1024 * 1024;

describe('restore into a mailbox', () => {
    let h: Harness;
    let alice: SimUser;
    let bob: SimUser;

    beforeEach(async () => {
        h = await createHarness();
        alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        bob = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        alice.addFolder('Inbox/Projects', '2026');
        for (let i = 0; i < 6; i++) {
            alice.addMessage('Inbox', { subject: `inbox ${i}`, receivedAt: new Date(Date.UTC(2025, 2, 1 + i, 9)) });
        }
        for (let i = 0; i < 3; i++) {
            alice.addMessage('Inbox/Projects/2026', {
                subject: `deep ${i}`,
                to: ['alice@contoso.com', 'carol@contoso.com'],
                cc: ['dan@fabrikam.com'],
                isRead: true,
                flag: 'flagged',
                categories: ['Blue category'],
                receivedAt: new Date(Date.UTC(2024, 11, 24, 18, i)),
            });
        }
        alice.addMessage('Sent Items', { subject: 'sent', receivedAt: new Date(Date.UTC(2025, 0, 2)) });
        alice.addMessage('Drafts', { subject: 'unfinished', isDraft: true, body: 'first words' });
        alice.addMessage('Inbox', {
            subject: 'with files',
            body: 'see attached <img src="cid:logo">',
            receivedAt: new Date(Date.UTC(2025, 5, 30, 7)),
            attachments: [
                { name: 'report.pdf', contentType: 'application/pdf', size: 3_000 },
                { name: 'data.bin', size: 400_000 },
                { name: 'logo.png', contentType: 'image/png', size: 2_000, isInline: true },
            ],
        });
    });
    afterEach(async () => h.close());

    it('recreates every message in another mailbox under "Restored …/", not as drafts, with the original dates', async () => {
        await h.backup({ type: 'full', mailbox: ['alice@contoso.com'] });
        const outcome = await restore(h, { source: 'alice@contoso.com', target: 'bob@contoso.com' });

        expect(outcome).toMatchObject({ status: 'succeeded', failures: [] });
        expect(outcome.counters).toMatchObject({ messagesRestored: 12, messagesFailed: 0 });
        expect(outcome.rootFolderName).toMatch(/^Restored \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
        const restored = expectRestored(bob, outcome.rootFolderName, alice.messages());
        expect(restored.filter((m) => m.isDraft).map((m) => m.subject)).toEqual(['unfinished']);
        expect(alice.messages()).toHaveLength(12);

        // What a later backup of the target sees: the same messages, non-drafts, with the original times.
        await h.backup({ type: 'full', mailbox: ['bob@contoso.com'] });
        await expectBackupMatches(h.storage, bob);
        const index = [...(await indexOf(h.storage, bob.id)).values()];
        for (const original of alice.messages()) {
            const row = index.find((r) => r.subject === original.subject)!;
            expect(row.folderPath).toBe(`${outcome.rootFolderName}/${original.folderPath}`);
            expect(row.isDraft, original.subject).toBe(original.isDraft);
            expect(new Date(row.receivedAt).toISOString(), original.subject).toBe(
                new Date(Math.floor(original.receivedAt.getTime() / 1000) * 1000).toISOString(),
            );
        }
    });

    it('adds nothing when the same restore runs again', async () => {
        await h.backup({ type: 'full', mailbox: ['alice@contoso.com'] });
        const first = await restore(h, { source: 'alice@contoso.com', target: 'bob@contoso.com' });
        const restoredCount = bob.messages().length;
        h.sim.resetCounters();

        const again = await restore(h, {
            restoreId: first.restoreId,
            source: 'alice@contoso.com',
            target: 'bob@contoso.com',
        });

        expect(again.status).toBe('succeeded');
        expect(again.counters).toMatchObject({ messagesRestored: 0, messagesAlreadyRestored: 12 });
        expect(bob.messages()).toHaveLength(restoredCount);
        expect(h.sim.counters.write + h.sim.counters.upload).toBe(0);
    });

    it('does not duplicate a message whose creation was not recorded before the process stopped', async () => {
        await h.backup({ type: 'full', mailbox: ['alice@contoso.com'] });
        const first = await restore(h, { source: 'alice@contoso.com', target: 'bob@contoso.com' });
        // The state a kill leaves between Graph creating the message and the restore recording its id.
        const deep = alice.messages().find((m) => m.subject === 'deep 1')!;
        const item = (await h.storage.restores.restoredItems(first.restoreId)).get(deep.id)!;
        await h.storage.restores.recordItem({
            ...item,
            restoreId: first.restoreId,
            state: 'creating',
            targetMessageId: '',
        });

        const again = await restore(h, {
            restoreId: first.restoreId,
            source: 'alice@contoso.com',
            target: 'bob@contoso.com',
        });

        expect(again.failures).toEqual([]);
        expect(again.counters).toMatchObject({ messagesRestored: 1, messagesAlreadyRestored: 11 });
        expect(bob.messages().filter((m) => m.subject === 'deep 1')).toHaveLength(1);
        expectRestored(bob, first.rootFolderName, alice.messages());
    });

    it('continues a restore stopped at its deadline without restoring anything twice', async () => {
        await h.backup({ type: 'full', mailbox: ['alice@contoso.com'] });
        const stopped = await restore(h, { source: 'alice@contoso.com' }, { deadline: Date.now() - 1 });
        expect(stopped.status).toBe('incomplete');

        const continued = await restore(h, { restoreId: stopped.restoreId, source: 'alice@contoso.com' });
        expect(continued.status).toBe('succeeded');
        const originals = alice.messages().filter((m) => !m.folderPath.startsWith('Restored'));
        expectRestored(alice, continued.rootFolderName, originals);
    });

    it('restores the mailbox as an earlier backup saw it with --as-of', async () => {
        await h.backup({ type: 'full', mailbox: ['alice@contoso.com'] });
        const before = alice.messages();
        const asOf = new Date();
        const gone = before.find((m) => m.subject === 'inbox 0')!;
        alice.deleteMessage(gone.id);
        alice.addMessage('Inbox', { subject: 'arrived later' });
        // The next backup runs an hour later by its clock: everything it records is after `asOf`.
        await h.backup({ mailbox: ['alice@contoso.com'], now: () => new Date(Date.now() + 60 * 60_000) });

        const outcome = await restore(h, { source: 'alice@contoso.com', target: 'bob@contoso.com', asOf });

        expect(outcome.status).toBe('succeeded');
        expectRestored(bob, outcome.rootFolderName, before);
    });

    it('restores only the folder or the message asked for', async () => {
        await h.backup({ type: 'full', mailbox: ['alice@contoso.com'] });
        const folder = await restore(h, {
            source: 'alice@contoso.com',
            target: 'bob@contoso.com',
            folder: 'Inbox/Projects',
        });
        expectRestored(
            bob,
            folder.rootFolderName,
            alice.messages().filter((m) => m.folderPath.startsWith('Inbox/Projects')),
        );

        const carol = h.sim.tenant.addUser({ upn: 'carol@contoso.com' });
        const one = alice.messages().find((m) => m.subject === 'sent')!;
        const single = await restore(h, {
            source: 'alice@contoso.com',
            target: 'carol@contoso.com',
            messageId: one.id,
        });
        expect(single.counters.messagesRestored).toBe(1);
        expectRestored(carol, single.rootFolderName, [one]);
    });

    it('uploads a large attachment through an upload session, sending a refused range again', async () => {
        alice.addMessage('Inbox', {
            subject: 'big attachment',
            attachments: [{ name: 'scan.tif', contentType: 'image/tiff', size: 7 * MB }],
        });
        await h.backup({ type: 'full', mailbox: ['alice@contoso.com'] });
        h.sim.resetCounters();
        // Outlook's upload URL throttles and fails like Graph; the range is sent again.
        h.sim.faults.add({ kind: 'upload', status: 429, retryAfterSec: 1, times: 1 });
        h.sim.faults.add({ kind: 'upload', status: 503, times: 1 });

        const outcome = await restore(h, { source: 'alice@contoso.com', target: 'bob@contoso.com', folder: 'Inbox' });

        expect(outcome.status).toBe('succeeded');
        expect(h.sim.counters.upload).toBe(3 + 2); // 7 MB in ranges of 3.2 MB, two of them sent twice
        expectRestored(
            bob,
            outcome.rootFolderName,
            alice.messages().filter((m) => m.folderPath.startsWith('Inbox')),
        );
    });

    it('survives throttling of its writes, with at most four requests in flight to the mailbox', async () => {
        await h.backup({ type: 'full', mailbox: ['alice@contoso.com'] });
        h.sim.resetCounters();
        h.sim.faults.add({ kind: 'write', mailbox: 'bob@contoso.com', status: 429, retryAfterSec: 1, times: 3 });
        h.sim.faults.add({ kind: 'write', mailbox: 'bob@contoso.com', status: 503, retryAfterSec: 1, times: 2 });

        const outcome = await restore(h, { source: 'alice@contoso.com', target: 'bob@contoso.com' });

        expect(outcome.status).toBe('succeeded');
        expect(outcome.counters.graphThrottled).toBe(3);
        expect(h.sim.counters.maxConcurrentByMailbox.get('bob@contoso.com')).toBeLessThanOrEqual(4);
        expectRestored(bob, outcome.rootFolderName, alice.messages());
    });
});

describe('restore from the command line', () => {
    let h: Harness;

    beforeEach(async () => {
        h = await createHarness();
    });
    afterEach(async () => h.close());

    it('names Mail.ReadWrite and exits non-zero when the app may only read mail', async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addMessage('Inbox', { subject: 'hello' });
        const prefix = uniquePrefix();
        const env = {
            ...h.env,
            BACKUP_STORAGE_CONNECTION_STRING: testConnectionString(),
            BACKUP_TABLE_PREFIX: prefix,
            BACKUP_CONTAINER: prefix,
        };
        expect((await runCli(['backup', '--type', 'full'], env)).code).toBe(0);
        h.sim.tenant.mailPermission = 'Mail.Read';

        const result = await runCli(['restore', '--mailbox', 'alice@contoso.com'], env);

        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/^error: .*Mail\.ReadWrite.*\n$/);
        expect(result.stderr).not.toMatch(/\n\s+at /);
        expect(alice.messages()).toHaveLength(1);
    });

    it("says which input is wrong in the engine's words, and in the CLI by the flag that gave it", async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addMessage('Inbox', { subject: 'hello' });
        await h.backup({ type: 'full' });
        await expect(restore(h, { source: alice.upn, target: 'nobody@contoso.com' })).rejects.toThrow(
            'the mailbox to restore into: there is no user nobody@contoso.com in the tenant',
        );
        await expect(restore(h, { source: 'ghost@contoso.com' })).rejects.toThrow(
            /^the backed-up mailbox: ghost@contoso\.com has never been backed up here/,
        );

        const env = {
            ...h.env,
            BACKUP_STORAGE_CONNECTION_STRING: testConnectionString(),
            BACKUP_TABLE_PREFIX: h.prefix,
            BACKUP_CONTAINER: h.prefix,
        };
        const cli = await runCli(['restore', '--mailbox', alice.upn, '--to', 'nobody@contoso.com'], env);
        expect(cli.code).toBe(2);
        expect(cli.stderr).toBe('error: --to: there is no user nobody@contoso.com in the tenant\n');
    });
});
