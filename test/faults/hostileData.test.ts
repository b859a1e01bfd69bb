import { createHash, randomBytes } from 'node:crypto';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { BackupStorage } from '../../src/store/storage';
import { createHarness, type Harness } from '../support/harness';
import { expectBackupMatches, indexOf } from '../support/truth';

async function contentOf(storage: BackupStorage, blobName: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.content.openRead(blobName)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
}

function sha256(bytes: Buffer): string {
    return createHash('sha256').update(bytes).digest('hex');
}

describe('a backup of hostile mailbox content', () => {
    let h: Harness;

    beforeEach(async () => {
        h = await createHarness();
    });
    afterEach(async () => h.close());

    it('stores malformed MIME byte for byte', async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        const garbage = Buffer.concat([
            Buffer.from('no header line at all\n\x00\x01\x7f bare LF, NUL and DEL\r\r\n'),
            Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]), // invalid UTF-8
            randomBytes(5000),
            Buffer.from('\r\n--boundary-never-opened\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64'),
        ]);
        const message = alice.addMessage('Inbox', { subject: 'malformed', mime: garbage });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        const entity = (await indexOf(h.storage, alice.id)).get(message.id)!;
        expect(entity).toMatchObject({ sha256: sha256(garbage), size: garbage.length });
        expect((await contentOf(h.storage, entity.emlBlob)).equals(garbage)).toBe(true);
        await expectBackupMatches(h.storage, alice);
    });

    it('stores a message of zero bytes as an empty blob', async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        const empty = alice.addMessage('Inbox', { subject: 'empty', mime: Buffer.alloc(0) });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        const entity = (await indexOf(h.storage, alice.id)).get(empty.id)!;
        expect(entity).toMatchObject({ sha256: sha256(Buffer.alloc(0)), size: 0 });
        expect(await contentOf(h.storage, entity.emlBlob)).toHaveLength(0);
        await expectBackupMatches(h.storage, alice);
    });

    it('keeps both of two different messages that claim the same Message-ID', async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        const twin = (body: string) =>
            Buffer.from(`Message-ID: <same@contoso.com>\r\nSubject: twin\r\nMIME-Version: 1.0\r\n\r\n${body}\r\n`);
        const first = alice.addMessage('Inbox', { subject: 'twin', mime: twin('the original') });
        const second = alice.addMessage('Archive', { subject: 'twin', mime: twin('a forgery') });

        const { run } = await h.backup({ type: 'full' });

        expect(run).toMatchObject({ status: 'succeeded', messagesNew: 2 });
        const index = await indexOf(h.storage, alice.id);
        expect(index.get(first.id)!.emlBlob).not.toBe(index.get(second.id)!.emlBlob);
        expect((await contentOf(h.storage, index.get(second.id)!.emlBlob)).toString()).toContain('a forgery');
        await expectBackupMatches(h.storage, alice);
    });

    it('stores a message held by several mailboxes once, with an index row in each', async () => {
        const mime = Buffer.from(
            'From: <ceo@contoso.com>\r\nTo: <all@contoso.com>\r\nSubject: All hands\r\nMessage-ID: <allhands@contoso.com>\r\n\r\nSee you there.\r\n',
        );
        const users = ['alice', 'bob', 'carol', 'dave'].map((name) =>
            h.sim.tenant.addUser({ upn: `${name}@contoso.com` }),
        );
        for (const user of users) user.addMessage('Inbox', { subject: 'All hands', mime });

        const { run } = await h.backup({ type: 'full' });

        expect(run).toMatchObject({ status: 'succeeded', messagesNew: 4 });
        const blobs: string[] = [];
        for await (const blob of h.storage.content.listBlobs('content/')) {
            if (blob.name.endsWith('.eml')) blobs.push(blob.name);
        }
        expect(blobs).toEqual([`content/${sha256(mime).slice(0, 2)}/${sha256(mime)}.eml`]);
        for (const user of users) {
            const [entity, ...others] = (await indexOf(h.storage, user.id)).values();
            expect(others).toHaveLength(0);
            expect(entity?.emlBlob).toBe(blobs[0]);
        }
    });

    it('records subjects with control characters, direction overrides and emoji exactly as Graph sent them', async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        const subjects = [
            'NUL \u0000 inside',
            'bell \u0007 escape \u001b[31m red',
            'invoice \u202egpj.exe',
            '🦄 unicorn',
            'S'.repeat(255),
        ];
        const messages = subjects.map((subject) => alice.addMessage('Inbox', { subject }));

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        const index = await indexOf(h.storage, alice.id);
        expect(messages.map((m) => index.get(m.id)?.subject)).toEqual(subjects);
        await expectBackupMatches(h.storage, alice);
    });

    it('backs up folders with hostile names and records their paths', async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        const long = 'L'.repeat(250);
        const names = [
            'a/b',
            'back\\slash',
            '..',
            '.',
            '# hash ? query % percent',
            "it's quoted",
            '~!tilde-bang',
            '📁 Ordner ✓ 日本語',
            'Reports.',
            long,
        ];
        const folders = names.map((name) => alice.addFolder('Inbox', name));
        folders.push(alice.addFolder(`Inbox/${long}`, `${long.toLowerCase()}.`));
        for (const folder of folders) alice.addMessage(folder.id, { subject: `in ${folder.displayName}` });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        await expectBackupMatches(h.storage, alice);
        const states = await h.storage.folders.list(alice.id);
        for (const folder of folders) {
            expect(states.find((s) => s.folderId === folder.id)).toMatchObject({
                displayName: folder.displayName,
                path: folder.path,
            });
        }
    });
});
