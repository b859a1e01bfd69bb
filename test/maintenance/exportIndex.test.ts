import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { exportIndex } from '../../src/maintenance/exportIndex';
import { emptyCounters, type FolderEntity, type MessageEntity } from '../../src/store/entities';
import type { MessageIndex } from '../../src/store/messageIndex';
import { type BackupStorage, openStorage } from '../../src/store/storage';
import { toTableKey } from '../../src/store/tableKeys';
import { testConnectionString, uniquePrefix } from '../support/storage';

const NOW = new Date('2026-11-26T12:00:00.000Z');

let storage: BackupStorage;
let directory: string;

beforeEach(async () => {
    const prefix = uniquePrefix();
    storage = await openStorage({ connectionString: testConnectionString(), tablePrefix: prefix, container: prefix });
    directory = await mkdtemp(path.join(os.tmpdir(), 'export-index-'));
});

afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
});

function messageRow(mailboxId: string, messageId: string, overrides: Partial<MessageEntity> = {}): MessageEntity {
    const sha256 = 'ab'.repeat(32);
    return {
        partitionKey: mailboxId,
        rowKey: toTableKey(messageId),
        messageId,
        sha256,
        size: 2048,
        changeKey: 'ck1',
        folderId: 'inbox-id',
        folderPath: 'Inbox',
        subject: `About ${messageId}`,
        sender: 'someone@example.com',
        receivedAt: '2026-11-20T08:00:00.000Z',
        internetMessageId: `<${messageId}@example.com>`,
        isRead: false,
        flagStatus: 'notFlagged',
        categories: '["Blue"]',
        isDraft: false,
        emlBlob: `content/ab/${sha256}.eml`,
        jsonBlob: `content/ab/${sha256}.json`,
        attachmentCount: 0,
        version: 1,
        contentSince: '2026-11-20T08:05:00.000Z',
        firstSeenAt: '2026-11-20T08:05:00.000Z',
        lastSeenAt: '2026-11-20T08:05:00.000Z',
        deletedAt: '',
        ...overrides,
    };
}

function folderRow(mailboxId: string, folderId: string, folderPath: string): FolderEntity {
    return {
        partitionKey: mailboxId,
        rowKey: toTableKey(folderId),
        folderId,
        displayName: folderPath.split('/').at(-1) ?? folderPath,
        parentFolderId: 'root',
        path: folderPath,
        deltaLink: 'https://graph.microsoft.com/v1.0/delta?token=secret-ish',
        pendingLink: '',
        lastSyncedAt: '2026-11-26T02:15:00.000Z',
        lastRunId: 'run',
        pendingRunId: '',
        roundStartedAt: '',
        retryIds: '[]',
        removedAt: '',
    };
}

async function indexMailbox(mailboxId: string, messages: MessageEntity[], folders: FolderEntity[]): Promise<void> {
    const writer = storage.index.writer(mailboxId);
    for (const message of messages) writer.upsertMessage(message);
    await writer.flush();
    await storage.folders.upsertMany(mailboxId, folders);
}

async function nameMailboxes(names: Record<string, string>): Promise<void> {
    const run = await storage.runs.startRun({ type: 'incremental', trigger: 'test', now: NOW });
    for (const [mailboxId, userPrincipalName] of Object.entries(names)) {
        await storage.runs.recordMailbox({
            ...emptyCounters(),
            partitionKey: run.runId,
            rowKey: mailboxId,
            mailboxId,
            userPrincipalName,
            status: 'succeeded',
            reason: '',
            startedAt: run.startedAt,
            endedAt: run.startedAt,
            failedItems: '[]',
        });
    }
}

interface ExportDocument {
    exportedAt: string;
    mailboxes: {
        mailboxId: string;
        userPrincipalName: string;
        folders: { id: string; path: string; lastSyncedAt: string; removedAt: string }[];
        messages: Record<string, unknown>[];
    }[];
}

async function readExport(file: string): Promise<ExportDocument> {
    return JSON.parse(await readFile(file, 'utf8')) as ExportDocument;
}

describe('exportIndex', () => {
    it('writes every mailbox with its folders and message rows, without table keys', async () => {
        const message = messageRow('id-alice', 'AAMk/alice+1', { deletedAt: '2026-11-25T00:00:00.000Z' });
        await indexMailbox(
            'id-alice',
            [message, messageRow('id-alice', 'AAMk-alice-2')],
            [folderRow('id-alice', 'inbox-id', 'Inbox'), folderRow('id-alice', 'archive-id', 'Archive/2026')],
        );
        await indexMailbox('id-bob', [messageRow('id-bob', 'AAMk-bob-1')], []);
        await nameMailboxes({ 'id-alice': 'alice@contoso.com' });
        const out = path.join(directory, 'index.json');

        const summary = await exportIndex(storage, out, { now: NOW });

        expect(summary).toEqual({ mailboxes: 2, messages: 3 });
        const document = await readExport(out);
        expect(document.exportedAt).toBe(NOW.toISOString());
        expect(document.mailboxes.map((m) => [m.mailboxId, m.userPrincipalName, m.messages.length])).toEqual([
            ['id-alice', 'alice@contoso.com', 2],
            ['id-bob', '', 1],
        ]);
        const [alice, bob] = document.mailboxes;
        expect(alice?.folders).toEqual([
            { id: 'archive-id', path: 'Archive/2026', lastSyncedAt: '2026-11-26T02:15:00.000Z', removedAt: '' },
            { id: 'inbox-id', path: 'Inbox', lastSyncedAt: '2026-11-26T02:15:00.000Z', removedAt: '' },
        ]);
        const { partitionKey: _partitionKey, rowKey: _rowKey, ...exported } = message;
        expect(alice?.messages).toContainEqual(exported);
        expect(bob?.folders).toEqual([]);
    });

    it('writes a valid document for an empty index', async () => {
        const out = path.join(directory, 'empty.json');

        await exportIndex(storage, out, { now: NOW });

        expect(await readExport(out)).toEqual({ exportedAt: NOW.toISOString(), mailboxes: [] });
    });

    it('streams a large mailbox row by row', async () => {
        const messages = Array.from({ length: 1100 }, (_, i) => messageRow('id-big', `message-${i}`));
        await indexMailbox('id-big', messages, []);
        const out = path.join(directory, 'big.json');

        const summary = await exportIndex(storage, out, { now: NOW });

        expect(summary).toEqual({ mailboxes: 1, messages: 1100 });
        const document = await readExport(out);
        expect(new Set(document.mailboxes[0]?.messages.map((m) => m.messageId)).size).toBe(1100);
        // One row per line: the file can be read (and diffed) line by line.
        const lines = (await readFile(out, 'utf8')).split('\n');
        expect(lines.filter((line) => line.includes('"messageId"'))).toHaveLength(1100);
    });

    it('leaves the previous export and no temporary file behind when reading the index fails', async () => {
        await indexMailbox('id-alice', [messageRow('id-alice', 'first'), messageRow('id-alice', 'second')], []);
        const out = path.join(directory, 'index.json');
        await writeFile(out, '{"previous":true}');
        const failing = Object.create(storage.index) as MessageIndex;
        failing.listMailbox = async function* () {
            yield messageRow('id-alice', 'first');
            // The request for the next page fails.
            await Promise.reject(new Error('connection reset while listing'));
        };

        await expect(exportIndex({ ...storage, index: failing }, out, { now: NOW })).rejects.toThrow(
            'connection reset while listing',
        );

        expect(await readFile(out, 'utf8')).toBe('{"previous":true}');
        expect(await readdir(directory)).toEqual(['index.json']);
    });
});
