import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { computeStats } from '../../src/maintenance/stats';
import { ConfigError } from '../../src/common/errors';
import { findBackedUpMailbox, type MessageAsOf, messagesAsOf, restorePoints } from '../../src/recovery/pointInTime';
import type { SimUser } from '../sim';
import { createRecoveryHarness, type RecoveryHarness, sha256 } from './recoveryHarness';

/** What a user would check of a mailbox at a moment: which messages, in which folder, with which bytes. */
type Snapshot = Record<string, { folderPath: string; sha256: string; subject: string }>;

function snapshotOf(user: SimUser): Snapshot {
    return Object.fromEntries(
        user.messages().map((m) => [m.id, { folderPath: m.folderPath, sha256: m.sha256(), subject: m.subject }]),
    );
}

async function asOf(r: RecoveryHarness, mailboxId: string, time?: Date, folder?: string): Promise<Snapshot> {
    const found: MessageAsOf[] = [];
    for await (const message of messagesAsOf(r.storage, mailboxId, { asOf: time, folder })) found.push(message);
    return Object.fromEntries(
        found.map((m) => [m.messageId, { folderPath: m.folderPath, sha256: m.sha256, subject: m.subject }]),
    );
}

async function blobSha(r: RecoveryHarness, blob: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of await r.storage.content.openRead(blob)) chunks.push(chunk as Buffer);
    return sha256(Buffer.concat(chunks));
}

describe('a mailbox as of a past backup', () => {
    let r: RecoveryHarness;

    beforeEach(async () => {
        r = await createRecoveryHarness();
    });
    afterEach(async () => r.close());

    it('returns exactly the earlier state after deletions, moves, draft edits and new mail', async () => {
        const alice = r.h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        const [kept, deleted, moved, movedTwice] = ['kept', 'deleted', 'moved', 'moved twice'].map((subject) =>
            alice.addMessage('Inbox', { subject }),
        );
        const draft = alice.addMessage('Drafts', { subject: 'plan', isDraft: true, body: 'first words' });
        await r.backup('full');
        const first = snapshotOf(alice);
        const afterFirst = new Date();

        alice.deleteMessage(deleted!.id);
        alice.moveMessage(moved!.id, 'Inbox/Projects');
        alice.moveMessage(movedTwice!.id, 'Archive');
        alice.editDraft(draft.id, 'second, longer words');
        alice.addMessage('Inbox', { subject: 'new since' });
        await r.backup();
        const second = snapshotOf(alice);
        const afterSecond = new Date();

        alice.moveMessage(movedTwice!.id, 'Inbox/Projects');
        alice.editDraft(draft.id, 'third words, longer still');
        alice.deleteMessage(kept!.id);
        await r.backup();
        const third = snapshotOf(alice);

        expect(first[draft.id]!.sha256).not.toBe(second[draft.id]!.sha256);
        expect(await asOf(r, alice.id, afterFirst)).toEqual(first);
        expect(await asOf(r, alice.id, afterSecond)).toEqual(second);
        expect(await asOf(r, alice.id)).toEqual(third);
        // Deleted and superseded content is still there to read, not only named.
        for await (const message of messagesAsOf(r.storage, alice.id, { asOf: afterFirst })) {
            expect(await blobSha(r, message.emlBlob)).toBe(first[message.messageId]!.sha256);
        }
    });

    it('narrows to a folder and its subfolders, case-insensitively, with the folders of that time', async () => {
        const alice = r.h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        const inProjects = alice.addMessage('Inbox/Projects', { subject: 'in projects' });
        alice.addMessage('Inbox', { subject: 'in inbox' });
        alice.addMessage('Archive', { subject: 'archived' });
        await r.backup('full');
        const afterFirst = new Date();
        alice.moveMessage(inProjects.id, 'Archive');
        await r.backup();

        expect(Object.keys(await asOf(r, alice.id, afterFirst, 'inbox/projects'))).toEqual([inProjects.id]);
        expect(
            Object.values(await asOf(r, alice.id, afterFirst, '/INBOX/'))
                .map((m) => m.subject)
                .sort(),
        ).toEqual(['in inbox', 'in projects']);
        expect(Object.keys(await asOf(r, alice.id, undefined, 'Inbox/Projects'))).toEqual([]);
    });

    it('lists completed backups as restore points and refuses a time before the first', async () => {
        const alice = r.h.sim.tenant.addUser({ upn: 'Alice@Contoso.com' });
        alice.addMessage('Inbox', { subject: 'hello' });
        const before = new Date();
        const { run: full } = await r.backup('full');
        const { run: incremental } = await r.backup();

        expect(await findBackedUpMailbox(r.storage, 'alice@CONTOSO.com')).toEqual({
            id: alice.id,
            userPrincipalName: 'Alice@Contoso.com',
        });
        expect(await findBackedUpMailbox(r.storage, 'nobody@contoso.com')).toBeUndefined();
        const points = await restorePoints(r.storage, alice.id);
        expect(points.map((p) => [p.runId, p.type, p.status])).toEqual([
            [full.runId, 'full', 'succeeded'],
            [incremental.runId, 'incremental', 'succeeded'],
        ]);
        const stats = await computeStats(r.storage, { days: 30, now: new Date() });
        expect(stats.restorePoints).toEqual([{ mailboxId: alice.id, userPrincipalName: 'Alice@Contoso.com', points }]);
        const early = messagesAsOf(r.storage, alice.id, { asOf: before })[Symbol.asyncIterator]();
        await expect(early.next()).rejects.toThrow(ConfigError);
        await expect(
            messagesAsOf(r.storage, alice.id, { asOf: before })[Symbol.asyncIterator]().next(),
        ).rejects.toThrow(/no backup of this mailbox had completed by then; the oldest restore point is/);
    });
});
