import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { backupMailbox, type MailboxStatus } from '../../src/backup/mailboxBackup';
import { type BackupOptions, DEFAULT_OPTIONS } from '../../src/backup/options';
import type { SimUser } from '../sim';
import { expectDownloadedOnce, expectOneVersionEach } from '../support/backupChecks';
import { engineFor, mailboxOf, PageBudgetClock } from '../support/engine';
import { createHarness, type Harness } from '../support/harness';
import { expectBackupMatches, indexOf } from '../support/truth';

// The MIME alone: slicing does not depend on the format, and it keeps the tests fast.
const FULL: BackupOptions = { ...DEFAULT_OPTIONS, type: 'full', format: 'eml' };
const INCREMENTAL: BackupOptions = { ...FULL, type: 'incremental' };

/** Graph serving delta pages of 200 whatever is asked for, so that a folder of a few hundred spans pages. */
function pagedBy200(user: SimUser): SimUser {
    user.mailbox.delta.maxPageSize = 200;
    return user;
}

describe('a mailbox backed up in time-limited slices', () => {
    let h: Harness;

    beforeEach(async () => {
        h = await createHarness();
    });
    afterEach(async () => h.close());

    /** One slice of `runId`, whose time budget runs out after `pages` delta pages holding messages. */
    async function slice(user: SimUser, runId: string, options: BackupOptions, pages = Infinity) {
        const clock = new PageBudgetClock(pages);
        return backupMailbox(engineFor(h, clock), {
            mailbox: mailboxOf(user),
            runId,
            options,
            deadline: clock.deadline,
        });
    }

    function deltaRequests(): number {
        return h.sim.counters.delta;
    }

    /** Whether a slice left this folder part-way, with the link to continue from saved. */
    async function leftMidway(user: SimUser, path: string): Promise<boolean> {
        const state = (await h.storage.folders.list(user.id)).find((f) => f.path === path);
        return !!state?.pendingLink;
    }

    it('stops when its time budget runs out and is continued by the next slice, downloading each message once', async () => {
        const alice = pagedBy200(h.sim.tenant.addUser({ upn: 'alice@contoso.com' }));
        alice.addFolder('Inbox', 'Projects');
        for (let i = 0; i < 210; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
        for (let i = 0; i < 30; i++) alice.addMessage('Inbox/Projects', { subject: `project ${i}` });
        for (let i = 0; i < 20; i++) alice.addMessage('Sent Items', { subject: `sent ${i}` });
        alice.addMessage('Drafts', { subject: 'draft', isDraft: true });

        const statuses: MailboxStatus[] = [];
        for (let n = 0; n < 12 && statuses.at(-1) !== 'succeeded'; n++) {
            statuses.push((await slice(alice, 'run-1', FULL, 1)).status);
        }

        expect(statuses.length).toBeGreaterThanOrEqual(2);
        expect(statuses.slice(0, -1).every((s) => s === 'incomplete')).toBe(true);
        expect(statuses.at(-1)).toBe('succeeded');
        await expectBackupMatches(h.storage, alice);
        await expectOneVersionEach(h.storage, alice);
        expectDownloadedOnce(h.sim.counters, alice);
    });

    it('continues a folder of several pages at the page it had reached, reading every delta page once', async () => {
        const alice = pagedBy200(h.sim.tenant.addUser({ upn: 'alice@contoso.com' }));
        for (let i = 0; i < 201; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });

        const first = await slice(alice, 'run-1', FULL, 1);
        expect(first.status).toBe('incomplete');
        expect(await leftMidway(alice, 'Inbox')).toBe(true);
        expect(first.counters.messagesNew).toBe(200);
        const firstSliceDeltas = deltaRequests();
        h.sim.resetCounters();
        const second = await slice(alice, 'run-1', FULL);
        expect(second.status).toBe('succeeded');
        expect(second.counters.messagesNew).toBe(1);
        const secondSliceDeltas = deltaRequests();
        expect(h.sim.counters.value).toBe(1);

        // A fresh full sync of the same mailbox reads every folder from its first page.
        h.sim.resetCounters();
        const fresh = await slice(alice, 'run-2', FULL);
        expect(fresh.status).toBe('succeeded');
        expect(h.sim.counters.value).toBe(0);
        expect(secondSliceDeltas).toBeLessThan(deltaRequests());
        expect(firstSliceDeltas + secondSliceDeltas).toBe(deltaRequests());
        await expectBackupMatches(h.storage, alice);
        await expectOneVersionEach(h.storage, alice);
    });

    it('keeps what a slice committed, and leaves changes made between slices to the next run', async () => {
        const alice = pagedBy200(h.sim.tenant.addUser({ upn: 'alice@contoso.com' }));
        for (let i = 0; i < 201; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });

        await slice(alice, 'run-1', FULL, 1);
        const committed = await indexOf(h.storage, alice.id);
        expect(committed.size).toBe(200);
        for (const entity of committed.values()) {
            expect(await h.storage.content.exists(entity.emlBlob), entity.subject).toBe(true);
        }
        const read = alice.messages().find((m) => committed.has(m.id) && !m.isRead)!;
        alice.markRead(read.id, true);
        const late = alice.addMessage('Inbox', { subject: 'arrived between slices' });
        expect((await slice(alice, 'run-1', FULL)).status).toBe('succeeded');
        expect((await indexOf(h.storage, alice.id)).size).toBe(201);

        h.sim.resetCounters();
        expect((await slice(alice, 'run-2', INCREMENTAL)).status).toBe('succeeded');
        expect(h.sim.counters.valueDownloads).toEqual([late.id]);
        await expectBackupMatches(h.storage, alice);
        await expectOneVersionEach(h.storage, alice);
    });

    it('marks deleted what the mailbox no longer holds when a resynchronised folder spans slices', async () => {
        const alice = pagedBy200(h.sim.tenant.addUser({ upn: 'alice@contoso.com' }));
        for (let i = 0; i < 210; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
        expect((await slice(alice, 'run-1', INCREMENTAL)).status).toBe('succeeded');
        const gone = alice.messages()[17]!;
        alice.deleteMessage(gone.id);
        alice.expireDeltaTokens();

        expect((await slice(alice, 'run-2', INCREMENTAL, 1)).status).toBe('incomplete');
        expect(await leftMidway(alice, 'Inbox')).toBe(true);
        expect((await slice(alice, 'run-2', INCREMENTAL)).status).toBe('succeeded');

        const index = await indexOf(h.storage, alice.id);
        expect(index.get(gone.id)?.deletedAt).not.toBe('');
        await expectBackupMatches(h.storage, alice);
    });

    it('marks deleted what the mailbox no longer holds when a full run spans slices', async () => {
        const alice = pagedBy200(h.sim.tenant.addUser({ upn: 'alice@contoso.com' }));
        for (let i = 0; i < 210; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
        expect((await slice(alice, 'run-1', FULL)).status).toBe('succeeded');
        const gone = alice.messages()[17]!;
        alice.deleteMessage(gone.id);

        expect((await slice(alice, 'run-2', FULL, 1)).status).toBe('incomplete');
        expect(await leftMidway(alice, 'Inbox')).toBe(true);
        expect((await slice(alice, 'run-2', FULL)).status).toBe('succeeded');

        await expectBackupMatches(h.storage, alice);
    });

    it('stops downloading inside a page when time runs out, and the next slice downloads only the rest', async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        for (let i = 0; i < 300; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
        // One page holds the whole folder; the budget runs out once 40 messages have been served.
        const hourAfter40 = () => new Date(Date.now() + (h.sim.counters.value >= 40 ? 60 * 60_000 : 0));
        const deps = engineFor(h, { now: hourAfter40 });
        const first = await backupMailbox(deps, {
            mailbox: mailboxOf(alice),
            runId: 'run-1',
            options: FULL,
            deadline: Date.now() + 30 * 60_000,
        });

        expect(first.status).toBe('incomplete');
        expect(h.sim.counters.delta).toBeGreaterThan(0);
        const stored = await indexOf(h.storage, alice.id);
        expect(stored.size).toBe(first.counters.messagesNew);
        expect(stored.size).toBeLessThan(50);
        expect(h.sim.counters.value).toBe(stored.size);

        expect((await slice(alice, 'run-1', FULL)).status).toBe('succeeded');
        await expectBackupMatches(h.storage, alice);
        await expectOneVersionEach(h.storage, alice);
        expectDownloadedOnce(h.sim.counters, alice);
    });
});
