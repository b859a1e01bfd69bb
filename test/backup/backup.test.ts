import { createHash } from 'node:crypto';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createHarness, type Harness } from '../support/harness';
import { expectBackupMatches, indexOf } from '../support/truth';

describe('backup of a tenant', () => {
    let h: Harness;

    beforeEach(async () => {
        h = await createHarness();
    });
    afterEach(async () => h.close());

    function seed(): void {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        alice.addFolder('Inbox/Projects', '2026');
        for (let i = 0; i < 12; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
        for (let i = 0; i < 5; i++) alice.addMessage('Inbox/Projects/2026', { subject: `deep ${i}` });
        alice.addMessage('Drafts', { subject: 'draft', isDraft: true, body: 'first words' });
        alice.addMessage('Inbox', {
            subject: 'with files',
            attachments: [
                { name: 'a.pdf', size: 3000 },
                { name: 'big.bin', size: 400_000 },
            ],
        });
        const shared = h.sim.tenant.addUser({ upn: 'support@contoso.com', kind: 'shared' });
        for (let i = 0; i < 4; i++) shared.addMessage('Inbox', { subject: `ticket ${i}` });
        h.sim.tenant.addUser({ upn: 'nomail@contoso.com', kind: 'noMailbox' });
        h.sim.tenant.addUser({ upn: 'guest@fabrikam.com', kind: 'guest' });
        h.sim.tenant.addUser({ upn: 'onprem@contoso.com', kind: 'notEnabled' });
    }

    it('backs up every folder of every mailbox, shared ones included, and skips users without a mailbox', async () => {
        seed();
        const { run } = await h.backup({ type: 'full' });
        expect(run.status).toBe('succeeded');
        expect(run).toMatchObject({ mailboxesDone: 2, mailboxesSkipped: 3, mailboxesFailed: 0, messagesNew: 23 });
        await expectBackupMatches(h.storage, h.sim.tenant.user('alice@contoso.com'));
        await expectBackupMatches(h.storage, h.sim.tenant.user('support@contoso.com'));
        expect(h.sim.counters.value).toBe(23);
    });

    it('stores the exact MIME bytes, content-addressed by their SHA-256', async () => {
        seed();
        await h.backup({ type: 'full' });
        const alice = h.sim.tenant.user('alice@contoso.com');
        const index = await indexOf(h.storage, alice.id);
        for (const message of alice.messages()) {
            const entity = index.get(message.id)!;
            const hash = createHash('sha256');
            for await (const chunk of await h.storage.content.openRead(entity.emlBlob)) hash.update(chunk as Buffer);
            expect(hash.digest('hex')).toBe(message.sha256());
            expect(entity.emlBlob).toContain(message.sha256());
        }
    });

    it('downloads only new and edited messages on an incremental run, and records every other change', async () => {
        seed();
        await h.backup({ type: 'full' });
        const alice = h.sim.tenant.user('alice@contoso.com');
        const [m0, m1, m2, m3, m4] = alice.messages().filter((m) => m.folderPath === 'Inbox');
        const draft = alice.messages().find((m) => m.isDraft)!;
        alice.markRead(m0!.id, !m0!.isRead);
        alice.setFlag(m1!.id, 'flagged');
        alice.setCategories(m2!.id, ['Red category']);
        alice.moveMessage(m3!.id, 'Inbox/Projects/2026');
        alice.deleteMessage(m4!.id);
        alice.editDraft(draft.id, 'second, longer words');
        alice.renameFolder('Inbox/Projects', 'Clients');
        alice.addMessage('Inbox', { subject: 'fresh' });
        const bob = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
        bob.addMessage('Inbox', { subject: 'hello bob' });
        h.sim.tenant.removeUser('support@contoso.com');
        h.sim.resetCounters();

        const { run } = await h.backup();

        expect(run.status).toBe('succeeded');
        // fresh + hello bob + the edited draft: nothing else is downloaded.
        expect(h.sim.counters.value).toBe(3);
        expect(run).toMatchObject({ messagesNew: 2, messagesChanged: 1, messagesDeleted: 1 });
        expect(run.messagesUpdated).toBeGreaterThanOrEqual(4);
        await expectBackupMatches(h.storage, alice);
        await expectBackupMatches(h.storage, bob);
        const index = await indexOf(h.storage, alice.id);
        expect(index.get(m4!.id)!.deletedAt).not.toBe('');
        expect(index.get(draft.id)!.version).toBe(2);
        const versions = [];
        for await (const v of h.storage.index.listVersions(alice.id, draft.id)) versions.push(v);
        expect(versions).toHaveLength(2);
        expect(await h.storage.content.exists(versions.find((v) => v.version === 1)!.emlBlob)).toBe(true);
    });

    it('makes no $value request and about one request per folder when nothing changed', async () => {
        seed();
        await h.backup({ type: 'full' });
        h.sim.resetCounters();
        const { run } = await h.backup();
        expect(run.status).toBe('succeeded');
        expect(h.sim.counters.value).toBe(0);
        const alice = h.sim.tenant.user('alice@contoso.com');
        const folders = (await h.storage.folders.list(alice.id)).length;
        expect(folders).toBeGreaterThan(6);
        // One delta request per folder, plus the folder tree (one listing per level with children).
        expect(h.sim.counters.byMailbox.get('alice@contoso.com')).toBeLessThanOrEqual(folders + 4);
    });

    it('resynchronises a folder whose delta token expired without downloading anything again', async () => {
        seed();
        await h.backup({ type: 'full' });
        const alice = h.sim.tenant.user('alice@contoso.com');
        const gone = alice.messages().find((m) => m.folderPath === 'Inbox')!;
        alice.deleteMessage(gone.id);
        alice.expireDeltaTokens();
        const fresh = alice.addMessage('Inbox', { subject: 'after expiry' });
        h.sim.resetCounters();
        const { run } = await h.backup();
        expect(run.status).toBe('succeeded');
        expect(h.sim.counters.valueDownloads).toEqual([fresh.id]);
        await expectBackupMatches(h.storage, alice);
    });

    it('refuses a second run on a mailbox another run is backing up, instead of interleaving writes', async () => {
        seed();
        h.sim.setLatency(20);
        const [first, second] = await Promise.all([h.backup({ type: 'full' }), h.backup()]);
        const refusals = [...first.outcomes, ...second.outcomes].filter((o) =>
            /another backup run .* is working on this mailbox/.test(o.outcome.reason),
        );
        expect(refusals.length).toBeGreaterThanOrEqual(1);
        expect(h.sim.counters.maxConcurrentByMailbox.get('alice@contoso.com')).toBeLessThanOrEqual(4);
        h.sim.setLatency(0);
        const { run } = await h.backup();
        expect(run.status).toBe('succeeded');
        await expectBackupMatches(h.storage, h.sim.tenant.user('alice@contoso.com'));
        expect(new Set(h.sim.counters.valueDownloads).size).toBe(h.sim.counters.valueDownloads.length);
    });
});
