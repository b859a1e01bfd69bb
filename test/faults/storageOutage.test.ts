import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { runBackup } from '../../src/backup/backupRun';
import { DEFAULT_OPTIONS } from '../../src/backup/options';
import { type RunningAzurite, startAzurite } from '../../src/store/azurite';
import { type BackupStorage, openStorage } from '../../src/store/storage';
import { engineFor } from '../support/engine';
import { createHarness, type Harness } from '../support/harness';
import { expireMailboxLeases } from '../support/leases';
import { expectBackupMatches } from '../support/truth';

const OPTIONS = { ...DEFAULT_OPTIONS, format: 'eml' } as const;

/** A storage account of its own, on disk, that the test can take away and bring back on the same ports. */
async function ownAzurite(location: string, from?: RunningAzurite): Promise<RunningAzurite> {
    const port = (endpoint: string | undefined) => (endpoint ? Number(new URL(endpoint).port) : undefined);
    return startAzurite({
        location,
        blobPort: port(from?.blobEndpoint),
        queuePort: port(from?.queueEndpoint),
        tablePort: port(from?.tableEndpoint),
    });
}

describe('a backup whose storage account goes away mid-run', () => {
    let h: Harness;
    let azurite: RunningAzurite | undefined;
    let location: string;

    afterEach(async () => {
        await azurite?.stop();
        await h.close();
        await rm(location, { recursive: true, force: true });
    });

    it('ends failed or partial, never points at a missing blob, and the next run completes', async () => {
        h = await createHarness({ latencyMs: 5 });
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        // Three delta pages (Graph serving 200 a page): the outage comes once the first is committed, with two to go.
        alice.mailbox.delta.maxPageSize = 200;
        for (let i = 0; i < 600; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
        location = await mkdtemp(path.join(os.tmpdir(), 'mail-backup-outage-'));
        azurite = await ownAzurite(location);
        const settings = { connectionString: azurite.connectionString, tablePrefix: 'outage', container: 'outage' };
        let storage: BackupStorage = await openStorage(settings);
        const engine = { ...engineFor(h), storage };

        const running = runBackup(engine, { type: 'full', trigger: 'test', options: { ...OPTIONS, type: 'full' } });
        // A page's downloads start only after the page before it was committed.
        while (h.sim.counters.valueDownloads.length <= 200) await new Promise((r) => setTimeout(r, 10));
        const first = azurite;
        await first.stop();
        const interrupted = await running.then(
            (summary) => summary.run.status,
            () => 'threw',
        );
        azurite = await ownAzurite(location, first);
        storage = await openStorage(settings);

        // The run could not finish its own bookkeeping either: it either threw or reports the mailbox failed.
        expect(interrupted).not.toBe('succeeded');
        for await (const entity of storage.index.listMailbox(alice.id)) {
            expect(await storage.content.exists(entity.emlBlob), entity.subject).toBe(true);
        }
        // The interrupted run's lease is still on the mailbox: the next run comes once it has lapsed.
        await expireMailboxLeases(settings.container, azurite.connectionString);
        h.sim.resetCounters();
        const again = await runBackup(
            { ...engine, storage },
            { type: 'incremental', trigger: 'test', options: OPTIONS },
        );
        expect(again.run.status).toBe('succeeded');
        await expectBackupMatches(storage, alice);
        expect(h.sim.counters.value).toBeLessThan(alice.messages().length);
    }, 120_000);
});
