/**
 * `npx tsx test/bench/indexSnapshots.ts [messages]` (default 10,000): what a full index snapshot of one
 * large mailbox costs, and what rebuilding its tables from it costs (docs/table-snapshots.md). Writes that
 * many message rows, each with one version row, into a fresh in-memory Azurite the way a backup does, takes
 * a full snapshot, deletes the index tables and rebuilds them. Prints the times, the snapshot's size and the
 * growth of the process's resident memory while the snapshot is taken.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { TableServiceClient } from '@azure/data-tables';

import { startAzurite } from '../../src/store/azurite';
import { SNAPSHOT_TABLES } from '../../src/store/indexSnapshot';
import type { IndexWriter } from '../../src/store/messageIndex';
import { openStorage, type StorageSettings } from '../../src/store/storage';
import { toTableKey, versionRowKey } from '../../src/store/tableKeys';

const MAILBOX = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

async function main(): Promise<void> {
    const messages = Number(process.argv[2] ?? 10_000);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'snapshot-bench-'));
    const azurite = await startAzurite({ location: dir, inMemory: true });
    try {
        const settings: StorageSettings = {
            connectionString: azurite.connectionString,
            tablePrefix: 'bench',
            container: 'bench',
        };
        const storage = await openStorage(settings);
        let started = Date.now();
        await writeIndex(storage.index.writer(MAILBOX), messages);
        console.log(`index written: ${messages} messages and ${messages} versions in ${Date.now() - started} ms`);

        const rssBefore = process.memoryUsage().rss;
        started = Date.now();
        const snapshot = await storage.snapshots.take(MAILBOX, { full: true });
        const elapsed = Date.now() - started;
        const [listed] = await storage.snapshots.list(MAILBOX);
        const rssGrowth = Math.round((process.memoryUsage().rss - rssBefore) / 1e6);
        console.log(
            `full snapshot: ${snapshot.rows} rows, ${listed?.size ?? 0} bytes compressed, ${elapsed} ms, ` +
                `RSS +${rssGrowth} MB`,
        );

        const tables = TableServiceClient.fromConnectionString(azurite.connectionString, {
            allowInsecureConnection: true,
        });
        for (const table of SNAPSHOT_TABLES) await tables.deleteTable(`${settings.tablePrefix}${table}`);
        const reopened = await openStorage(settings);
        started = Date.now();
        const rows = await reopened.snapshots.restore(MAILBOX, await reopened.snapshots.chain(MAILBOX));
        console.log(`rebuild: ${JSON.stringify(rows)} in ${Date.now() - started} ms`);
    } finally {
        await azurite.stop();
        await rm(dir, { recursive: true, force: true });
    }
}

/** Rows shaped like a backup's: long Graph ids, a subject, blob names, ISO times. */
async function writeIndex(writer: IndexWriter, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
        const id = `AAMkAGI2TG93AAA=${String(i).padStart(8, '0')}-${'x'.repeat(100)}`;
        const sha = ((i * 2654435761) % 2 ** 32).toString(16).padStart(8, '0').repeat(8);
        const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
        const blobs = {
            emlBlob: `content/${sha.slice(0, 2)}/${sha}.eml`,
            jsonBlob: `content/${sha.slice(0, 2)}/${sha}.json`,
        };
        const subject = `Quarterly planning notes for the project number ${i}`;
        const content = { sha256: sha, size: 40_000 + i, changeKey: `CQAAABYAAAA${i}`, ...blobs };
        writer.upsertVersion({
            partitionKey: MAILBOX,
            rowKey: versionRowKey(id, 1),
            messageId: id,
            version: 1,
            ...content,
            validFrom: at,
            validTo: '',
            subject,
        });
        writer.upsertMessage({
            partitionKey: MAILBOX,
            rowKey: toTableKey(id),
            messageId: id,
            ...content,
            folderId: 'AAMkAGI2inbox',
            folderPath: 'Inbox/Projects',
            subject,
            sender: 'someone.else@contoso.com',
            receivedAt: at,
            internetMessageId: `<${sha.slice(0, 20)}@contoso.com>`,
            isRead: i % 3 === 0,
            flagStatus: 'notFlagged',
            categories: '[]',
            isDraft: false,
            attachmentCount: 0,
            version: 1,
            contentSince: at,
            firstSeenAt: at,
            lastSeenAt: at,
            deletedAt: '',
        });
        await writer.flushIfFull();
    }
    await writer.flush();
}

void main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
