import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { backupMailbox } from '../../src/backup/mailboxBackup';
import type { HiddenFolderPlay } from '../sim/model/folderDelta';
import type { SimUser } from '../sim';
import { engineFor, mailboxOf } from '../support/engine';
import { createHarness, type Harness } from '../support/harness';
import { expectBackupMatches, indexOf } from '../support/truth';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Folders a backup syncs: every folder below the root, hidden ones too, but no search folder. */
function syncedFolders(user: SimUser): number {
    return user.mailbox.root.subtree().filter((f) => f.parent && !f.search).length;
}

describe('folders from the hierarchy delta', () => {
    let h: Harness;
    let alice: SimUser;

    beforeEach(async () => {
        h = await createHarness();
        alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        alice.addFolder('Inbox/Projects', '2026');
        alice.addFolder('Inbox', 'Travel');
        alice.addFolder('Inbox', 'Old');
        for (const path of ['Inbox', 'Inbox/Projects', 'Inbox/Projects/2026', 'Inbox/Travel', 'Inbox/Old']) {
            for (let i = 0; i < 3; i++) alice.addMessage(path, { subject: `${path} ${i}` });
        }
    });
    afterEach(async () => h.close());

    function hideFoldersFromDelta(play: HiddenFolderPlay): void {
        alice.mailbox.folderDelta.hiddenFolders = play;
    }

    it.each<HiddenFolderPlay>(['omitted', 'returned'])(
        'makes exactly one request per folder plus one when nothing changed (delta hidden folders: %s)',
        async (play) => {
            hideFoldersFromDelta(play);
            await h.backup({ type: 'full' });
            h.sim.resetCounters();

            const { run } = await h.backup();

            expect(run.status).toBe('succeeded');
            const folders = syncedFolders(alice);
            expect(h.sim.counters.byMailbox.get('alice@contoso.com')).toBe(folders + 1);
            expect(h.sim.counters.folders).toBe(1);
            expect(h.sim.counters.delta).toBe(folders);
            expect(h.sim.counters.value).toBe(0);
        },
    );

    it.each<HiddenFolderPlay>(['omitted', 'returned'])(
        'reads a mailbox from scratch in one request per message and per folder, plus two (delta hidden folders: %s)',
        async (play) => {
            hideFoldersFromDelta(play);

            const { run } = await h.backup({ type: 'full' });

            expect(run.status).toBe('succeeded');
            const messages = alice.messages().length;
            // The folder delta, one listing of the top of the mailbox (hidden folders there, "Quick Step Settings"
            // among them, are found by it), one delta page per folder, one $value per message.
            expect(h.sim.counters.byMailbox.get('alice@contoso.com')).toBe(messages + syncedFolders(alice) + 2);
            expect(h.sim.counters.value).toBe(messages);
            await expectBackupMatches(h.storage, alice);
        },
    );

    it('follows folders created, renamed, moved and deleted between two runs, downloading only new mail', async () => {
        await h.backup({ type: 'full' });
        const old = alice.messages().filter((m) => m.folderPath === 'Inbox/Old');
        alice.addFolder('Inbox/Projects', 'New');
        const fresh = alice.addMessage('Inbox/Projects/New', { subject: 'in a new folder' });
        alice.renameFolder('Inbox/Projects', 'Clients');
        alice.folder('Inbox/Travel').moveTo(alice.folder('archive'));
        alice.deleteFolder('Inbox/Old');
        h.sim.resetCounters();

        const { run } = await h.backup();

        expect(run.status).toBe('succeeded');
        expect(h.sim.counters.valueDownloads).toEqual([fresh.id]);
        expect(run.messagesDeleted).toBe(old.length);
        await expectBackupMatches(h.storage, alice);
        const index = await indexOf(h.storage, alice.id);
        expect(index.get(alice.messages().find((m) => m.subject === 'Inbox/Projects/2026 0')!.id)?.folderPath).toBe(
            'Inbox/Clients/2026',
        );
        expect(index.get(alice.messages().find((m) => m.subject === 'Inbox/Travel 0')!.id)?.folderPath).toBe(
            'Archive/Travel',
        );
        const rows = new Map((await h.storage.folders.list(alice.id)).map((r) => [r.path, r]));
        expect(rows.get('Inbox/Old')?.removedAt).not.toBe('');
        expect(rows.get('Inbox/Clients/New')?.removedAt).toBe('');
    });

    it.each<HiddenFolderPlay>(['omitted', 'returned'])(
        'backs up hidden folders, nested ones included, whether the delta reports them or not (%s)',
        async (play) => {
            hideFoldersFromDelta(play);
            alice.addFolder('Inbox', 'Secret').isHidden = true;
            alice.addFolder('Inbox/Secret', 'Deeper');
            alice.addMessage('Inbox/Secret', { subject: 'hidden' });
            alice.addMessage('Inbox/Secret/Deeper', { subject: 'below a hidden folder' });
            alice.addMessage('Quick Step Settings', { subject: 'top-level hidden' });

            await h.backup({ type: 'full' });
            await expectBackupMatches(h.storage, alice);

            alice.addMessage('Inbox/Secret', { subject: 'hidden, later' });
            alice.renameFolder('Inbox/Projects', 'Clients');
            const { run } = await h.backup();
            expect(run.status).toBe('succeeded');
            await expectBackupMatches(h.storage, alice);
        },
    );

    it.each<[HiddenFolderPlay, number]>([
        ['returned', 0],
        ['omitted', DAY_MS],
    ])(
        'finds a hidden folder created after the first backup (delta hidden folders: %s; found after %i ms)',
        async (play, after) => {
            hideFoldersFromDelta(play);
            await h.backup({ type: 'full' });
            alice.addFolder('Inbox', 'Later').isHidden = true;
            alice.addMessage('Inbox/Later', { subject: 'in a hidden folder made later' });

            const later = new Date(Date.now() + after);
            const deps = engineFor(h, { now: () => later });
            const slice = { mailbox: mailboxOf(alice), runId: 'run-later', options: incremental() };
            const outcome = await backupMailbox(deps, slice);

            expect(outcome.status).toBe('succeeded');
            await expectBackupMatches(h.storage, alice);
        },
    );

    it('recovers when the folder delta link expired, reconciling what changed and downloading only new mail', async () => {
        await h.backup({ type: 'full' });
        alice.mailbox.folderDelta.expire();
        alice.renameFolder('Inbox/Projects', 'Clients');
        alice.deleteFolder('Inbox/Old');
        const fresh = alice.addMessage('Inbox/Travel', { subject: 'after expiry' });
        h.sim.resetCounters();

        const { run } = await h.backup();

        expect(run.status).toBe('succeeded');
        expect(h.logs.some((line) => /folder delta link expired/.test(line))).toBe(true);
        expect(h.sim.counters.valueDownloads).toEqual([fresh.id]);
        await expectBackupMatches(h.storage, alice);

        h.sim.resetCounters();
        await h.backup();
        expect(h.sim.counters.byMailbox.get('alice@contoso.com')).toBe(syncedFolders(alice) + 1);
    });
});

function incremental() {
    return { type: 'incremental' as const, format: 'both' as const, attachments: true, folders: true };
}
