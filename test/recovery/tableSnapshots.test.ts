import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { TableClient, TableServiceClient } from '@azure/data-tables';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { cleanup } from '../../src/maintenance/cleanup';
import { exportMailbox } from '../../src/recovery/export';
import { verifyBackup } from '../../src/maintenance/verify';
import { SNAPSHOT_TABLES } from '../../src/store/indexSnapshot';
import { listRows } from '../../src/store/tableRows';
import type { SimUser } from '../sim';
import { runCli } from '../support/cli';
import { testConnectionString } from '../support/storage';
import { createRecoveryHarness, filesUnder, type RecoveryHarness } from './recoveryHarness';

const DAY_MS = 24 * 60 * 60 * 1000;
const ALL_TABLES = ['messages', 'versions', 'attachments', 'placements', 'folders', 'runs', 'mailboxruns', 'restores'];

describe('index snapshots and rebuild-index', () => {
    let r: RecoveryHarness;
    let alice: SimUser;
    let work: string;

    beforeEach(async () => {
        work = await mkdtemp(path.join(os.tmpdir(), 'snapshot-test-'));
        r = await createRecoveryHarness();
        alice = r.h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        for (const subject of ['plan', 'budget', 'minutes']) alice.addMessage('Inbox/Projects', { subject });
        alice.addMessage('Drafts', { subject: 'draft', isDraft: true, body: 'first words' });
        alice.addMessage('Inbox', { subject: 'with file', attachments: [{ name: 'a.pdf', size: 5000 }] });
        await r.backup('full');
    });
    afterEach(async () => {
        await r.close();
        await rm(work, { recursive: true, force: true });
    });

    /**
     * Every row of the mailbox's partition in each index table, without the service's metadata. Of folder
     * rows only what names the folder: a backup that changed no message moves the sync state (delta links)
     * without a snapshot, and a rebuild's older delta link only makes the next sync replay a little more.
     */
    async function indexRows(): Promise<Record<string, unknown[]>> {
        const rows: Record<string, unknown[]> = {};
        for (const table of SNAPSHOT_TABLES) {
            const client = TableClient.fromConnectionString(testConnectionString(), `${prefix()}${table}`, {
                allowInsecureConnection: true,
            });
            rows[table] = [];
            for await (const row of listRows<Record<string, unknown>>(client, `PartitionKey eq '${alice.id}'`)) {
                const { rowKey, path: folderPath, displayName } = row;
                rows[table].push(table === 'folders' ? { rowKey, folderPath, displayName } : row);
            }
        }
        return rows;
    }

    function prefix(): string {
        return r.cliEnv.BACKUP_TABLE_PREFIX ?? '';
    }

    async function deleteEveryTable(): Promise<void> {
        const service = TableServiceClient.fromConnectionString(testConnectionString(), {
            allowInsecureConnection: true,
        });
        await Promise.all(ALL_TABLES.map((table) => service.deleteTable(`${prefix()}${table}`)));
    }

    /** Every exported file's path and bytes. */
    async function exportAlice(name: string): Promise<Map<string, Buffer>> {
        const out = path.join(work, name);
        const mailbox = { id: alice.id, userPrincipalName: alice.upn };
        const summary = await exportMailbox(r.storage, mailbox, { out, format: 'eml', folders: true });
        expect(summary.failed).toEqual([]);
        const files = new Map<string, Buffer>();
        for (const file of await filesUnder(out)) files.set(file, await readFile(path.join(out, file)));
        return files;
    }

    async function snapshotKinds(): Promise<string[]> {
        return (await r.storage.snapshots.list(alice.id)).map((snapshot) => snapshot.kind);
    }

    it('rebuilds every index row of a mailbox after every table is deleted: verify passes, the export is identical', async () => {
        const subject = (wanted: string) => alice.messages().find((m) => m.subject === wanted)!.id;
        alice.editDraft(subject('draft'), 'second words');
        alice.moveMessage(subject('minutes'), 'Inbox');
        alice.deleteMessage(subject('budget'));
        await r.backup();
        await r.backup(); // nothing changed: no snapshot
        expect(await snapshotKinds()).toEqual(['full', 'changes']);
        const rowsBefore = await indexRows();
        expect(rowsBefore.placements).toHaveLength(1);
        const exportBefore = await exportAlice('before');

        await deleteEveryTable();
        const rebuilt = await runCli(['rebuild-index'], r.cliEnv);

        expect(rebuilt.stderr).toBe('');
        expect(rebuilt.code).toBe(0);
        expect(rebuilt.stdout).toMatch(/Rebuilt the index of 1 mailboxes/);
        expect(rebuilt.stdout).toContain(`${alice.id}: as of `);
        expect(await indexRows()).toEqual(rowsBefore);
        const verified = await runCli(['verify', '--mailbox', alice.id], r.cliEnv);
        expect(verified.stdout).toContain('no problems found');
        expect(verified.code).toBe(0);
        expect(await exportAlice('after')).toEqual(exportBefore);
    });

    it('does not bring back what cleanup purged', async () => {
        alice.deleteMessage(alice.messages().find((m) => m.subject === 'with file')!.id);
        await r.backup();
        const report = await cleanup(r.storage, { days: 30, now: new Date(Date.now() + 40 * DAY_MS) });
        expect(report).toMatchObject({ messagesDeleted: 1, skipped: '' });
        expect(await snapshotKinds()).toEqual(['full']);
        const rowsAfterCleanup = await indexRows();

        await deleteEveryTable();
        const rebuilt = await runCli(['rebuild-index', '--mailbox', alice.id], r.cliEnv);

        expect(rebuilt.code).toBe(0);
        expect(await indexRows()).toEqual(rowsAfterCleanup);
        expect((await verifyBackup(r.storage)).problems).toEqual([]);
    });

    it('keeps snapshots in the order they were taken, however close together', async () => {
        const taken = [];
        for (let i = 0; i < 4; i++) taken.push(await r.storage.snapshots.take(alice.id));

        const listed = await r.storage.snapshots.list(alice.id);

        expect(listed.slice(1).map((snapshot) => snapshot.name)).toEqual(taken.map((snapshot) => snapshot.name));
    });

    it('names a damaged snapshot and what to do about it, without a stack trace', async () => {
        const [full] = await r.storage.snapshots.list(alice.id);
        await r.container.getBlockBlobClient(full!.name).upload('not gzip', 'not gzip'.length);

        const result = await runCli(['rebuild-index', '--mailbox', alice.id], r.cliEnv);

        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`error: ${full!.name} cannot be read as an index snapshot (not gzip`);
        expect(result.stderr).toContain('run rebuild-index again to use the snapshots before it');
        expect(result.stderr).not.toMatch(/^\s+at /m);
    });

    it('names a mailbox it has no snapshot of, and exits 1', async () => {
        const result = await runCli(['rebuild-index', '--mailbox', 'no-such-mailbox'], r.cliEnv);

        expect(result.code).toBe(1);
        expect(result.stdout).toContain('not rebuilt: no-such-mailbox: no full snapshot of this mailbox');
    });
});
