import { beforeAll, describe, expect, it } from 'vitest';

import type { AttachmentEntity, MessageEntity, VersionEntity } from '../../src/store/entities';
import type { MessageIndex } from '../../src/store/messageIndex';
import { openStorage } from '../../src/store/storage';
import { attachmentRowKey, toTableKey, versionRowKey } from '../../src/store/tableKeys';
import { testConnectionString, uniquePrefix } from '../support/storage';

function message(mailboxId: string, messageId: string, overrides: Partial<MessageEntity> = {}): MessageEntity {
    return {
        partitionKey: mailboxId,
        rowKey: toTableKey(messageId),
        messageId,
        sha256: 'ab'.repeat(32),
        size: 1234,
        changeKey: 'ck1',
        folderId: 'inbox',
        folderPath: 'Inbox',
        subject: `Subject of ${messageId}`,
        sender: 'alice@example.com',
        receivedAt: '2026-11-26T02:15:00Z',
        internetMessageId: `<${messageId}@example.com>`,
        isRead: false,
        flagStatus: 'notFlagged',
        categories: JSON.stringify(['Blue']),
        isDraft: false,
        emlBlob: 'content/ab/abab.eml',
        jsonBlob: '',
        attachmentCount: 0,
        version: 1,
        contentSince: '2026-11-26T02:15:00Z',
        firstSeenAt: '2026-11-26T02:15:00Z',
        lastSeenAt: '2026-11-26T02:15:00Z',
        deletedAt: '',
        ...overrides,
    };
}

function version(mailboxId: string, messageId: string, number: number): VersionEntity {
    return {
        partitionKey: mailboxId,
        rowKey: versionRowKey(messageId, number),
        messageId,
        version: number,
        sha256: 'cd'.repeat(32),
        size: 10,
        changeKey: `ck${number}`,
        emlBlob: '',
        jsonBlob: '',
        validFrom: '2026-11-26T02:15:00Z',
        validTo: '',
    };
}

function attachment(mailboxId: string, messageId: string, attachmentId: string): AttachmentEntity {
    return {
        partitionKey: mailboxId,
        rowKey: attachmentRowKey(messageId, attachmentId),
        messageId,
        attachmentId,
        name: 'report.pdf',
        contentType: 'application/pdf',
        size: 5,
        isInline: false,
        sha256: 'ef'.repeat(32),
        blob: `attachments/ef/${'ef'.repeat(32)}`,
    };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
    const all: T[] = [];
    for await (const item of items) all.push(item);
    return all;
}

describe('MessageIndex', () => {
    let index: MessageIndex;

    beforeAll(async () => {
        const prefix = uniquePrefix();
        ({ index } = await openStorage({
            connectionString: testConnectionString(),
            tablePrefix: prefix,
            container: prefix,
        }));
    });

    it('stores 250 queued messages in transactions and reads them back by id, 14 ids per query or more', async () => {
        const writer = index.writer('mbx-batch');
        const ids = Array.from({ length: 250 }, (_, i) => `AAMk/${i}+id==`);
        let flushedEarly = 0;
        for (const id of ids) {
            writer.upsertMessage(message('mbx-batch', id, { size: 3_000_000_000 + ids.indexOf(id) }));
            const before = writer.pending;
            await writer.flushIfFull();
            if (writer.pending < before) flushedEarly++;
        }
        expect(flushedEarly).toBe(2); // at 100 and 200 queued rows
        expect(writer.pending).toBe(50);
        await writer.flush();
        expect(writer.pending).toBe(0);

        const wanted = [...ids.slice(0, 40), 'never-indexed'];
        const found = await index.getMany('mbx-batch', wanted);
        expect(found.size).toBe(40);
        const first = found.get(ids[0] ?? '');
        expect(first).toEqual(message('mbx-batch', ids[0] ?? '', { size: 3_000_000_000 }));
        expect(typeof first?.isRead).toBe('boolean');
        expect(await index.getMany('mbx-batch', [])).toEqual(new Map());
        expect(await index.getMany('another-mailbox', ids.slice(0, 3))).toEqual(new Map());
    });

    it('writes a row queued twice before a flush once, with the last values', async () => {
        const writer = index.writer('mbx-dup');
        writer.upsertMessage(message('mbx-dup', 'm1', { isRead: false }));
        writer.upsertMessage(message('mbx-dup', 'm1', { isRead: true }));
        writer.upsertVersion(version('mbx-dup', 'm1', 1));
        writer.upsertVersion(version('mbx-dup', 'm1', 1));
        expect(writer.pending).toBe(2);
        await writer.flush();
        expect((await index.get('mbx-dup', 'm1'))?.isRead).toBe(true);
        expect(await index.get('mbx-dup', 'm2')).toBeUndefined();
    });

    it('keeps rows queued when a flush fails, and never writes a message before its version', async () => {
        const writer = index.writer('mbx-failing');
        writer.upsertMessage(message('mbx-failing', 'm1'));
        writer.upsertVersion({ ...version('mbx-failing', 'm1', 1), changeKey: 'x'.repeat(40_000) }); // over 64 KiB
        await expect(writer.flush()).rejects.toThrow();
        expect(writer.pending).toBe(2);
        expect(await index.get('mbx-failing', 'm1')).toBeUndefined();

        writer.upsertVersion(version('mbx-failing', 'm1', 1));
        await writer.flush();
        expect(writer.pending).toBe(0);
        expect(await index.get('mbx-failing', 'm1')).toBeDefined();
    });

    it('refuses a row of another mailbox', () => {
        expect(() => index.writer('mbx-a').upsertMessage(message('mbx-b', 'm'))).toThrow(/partition/);
    });

    it('lists a folder with only the selected properties', async () => {
        const writer = index.writer('mbx-folders');
        writer.upsertMessage(message('mbx-folders', 'i1'));
        writer.upsertMessage(message('mbx-folders', 'i2'));
        writer.upsertMessage(message('mbx-folders', 's1', { folderId: 'sent', folderPath: 'Sent Items' }));
        await writer.flush();

        const inbox = await collect(index.listFolder('mbx-folders', 'inbox', ['messageId', 'sha256']));
        expect(inbox.map((row) => row.messageId).sort()).toEqual(['i1', 'i2']);
        expect(Object.keys(inbox[0] ?? {}).sort()).toEqual(['messageId', 'sha256']);
        const sent = await collect(index.listFolder('mbx-folders', 'sent'));
        expect(sent).toEqual([message('mbx-folders', 's1', { folderId: 'sent', folderPath: 'Sent Items' })]);
        expect((await collect(index.listMailbox('mbx-folders'))).length).toBe(3);
        const all = await collect(index.listAll(['partitionKey']));
        expect(all.filter((row) => row.partitionKey === 'mbx-folders').length).toBe(3);
        expect((await index.listMailboxIds()).filter((id) => id === 'mbx-folders')).toEqual(['mbx-folders']);
    });

    it("lists one message's versions and attachments without its neighbours'", async () => {
        const writer = index.writer('mbx-versions');
        for (const id of ['m', 'm~', 'mm', 'm/x']) {
            writer.upsertVersion(version('mbx-versions', id, 1));
            writer.upsertVersion(version('mbx-versions', id, 2));
            writer.upsertAttachment(attachment('mbx-versions', id, 'a/1'));
        }
        await writer.flush();

        const versions = await collect(index.listVersions('mbx-versions', 'm'));
        expect(versions.map((row) => [row.messageId, row.version])).toEqual([
            ['m', 1],
            ['m', 2],
        ]);
        expect((await collect(index.listVersions('mbx-versions'))).length).toBe(8);
        const attachments = await collect(index.listAttachments('mbx-versions', 'm/x'));
        expect(attachments).toEqual([attachment('mbx-versions', 'm/x', 'a/1')]);

        await index.deleteVersions('mbx-versions', [versionRowKey('m', 1), versionRowKey('m', 1), 'no-such-row']);
        expect((await collect(index.listVersions('mbx-versions', 'm'))).map((row) => row.version)).toEqual([2]);
    });

    it('purges messages with their attachment rows, rows already gone included', async () => {
        const writer = index.writer('mbx-purge');
        writer.upsertMessage(message('mbx-purge', 'p/1'));
        writer.upsertMessage(message('mbx-purge', 'p/2'));
        writer.upsertAttachment(attachment('mbx-purge', 'p/1', 'a'));
        await writer.flush();

        await index.deleteAttachments('mbx-purge', [attachmentRowKey('p/1', 'a'), attachmentRowKey('p/9', 'a')]);
        await index.deleteMessages('mbx-purge', ['p/1', 'p/9']);
        expect(await collect(index.listAttachments('mbx-purge'))).toEqual([]);
        expect((await collect(index.listMailbox('mbx-purge', ['messageId']))).map((row) => row.messageId)).toEqual([
            'p/2',
        ]);
    });

    it('stores and finds messages whose ids hold characters Table Storage forbids in keys', async () => {
        const ids = ['a/b', 'c\\d', 'e#f', 'g?h', '100%', "it's", '~tilde~', 'trailing.', '😀 émoji', 'nul\u0000x'];
        const writer = index.writer('mbx-hostile');
        for (const id of ids) writer.upsertMessage(message('mbx-hostile', id));
        await writer.flush();
        expect([...(await index.getMany('mbx-hostile', ids)).keys()].sort()).toEqual([...ids].sort());
        for (const id of ids) expect((await index.get('mbx-hostile', id))?.messageId).toBe(id);
    });
});
