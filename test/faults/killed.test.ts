import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type BackupStorage, openStorage } from '../../src/store/storage';
import type { SimUser } from '../sim';
import { runCli } from '../support/cli';
import { startCli } from '../support/cliProcess';
import { createHarness, type Harness } from '../support/harness';
import { expireMailboxLeases } from '../support/leases';
import { testConnectionString, uniquePrefix } from '../support/storage';
import { expectBackupMatches, indexOf } from '../support/truth';

/** Two delta pages of 200: enough for a kill to land inside a folder, small enough for a quick test. */
const MESSAGES = 260;

describe('a backup killed mid-run', () => {
    let h: Harness;
    let storage: BackupStorage;
    let prefix: string;
    let env: Record<string, string>;
    let alice: SimUser;

    beforeEach(async () => {
        h = await createHarness({ latencyMs: 2 });
        prefix = uniquePrefix();
        storage = await openStorage({
            connectionString: testConnectionString(),
            tablePrefix: prefix,
            container: prefix,
        });
        env = {
            ...h.env,
            BACKUP_STORAGE_CONNECTION_STRING: testConnectionString(),
            BACKUP_TABLE_PREFIX: prefix,
            BACKUP_CONTAINER: prefix,
        };
        alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        for (let i = 0; i < MESSAGES; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
    });
    afterEach(async () => h.close());

    /** Starts a backup and kills it (by default with SIGKILL: no chance to clean up) once Graph served `downloads`. */
    async function killAfter(args: string[], downloads: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
        const cli = startCli(args, env);
        while (h.sim.counters.valueDownloads.length < downloads) {
            const exited = await Promise.race([cli.exited, new Promise((resolve) => setTimeout(resolve, 20))]);
            if (exited) throw new Error(`the backup ended before it could be killed: ${JSON.stringify(exited)}`);
        }
        cli.child.kill(signal);
        await cli.exited;
    }

    it('finishes on the next run, downloading only what the killed run had not committed', async () => {
        await killAfter(['backup', '--type', 'full', '--format', 'eml'], MESSAGES / 2);
        const committed = await indexOf(storage, alice.id);
        expect(committed.size).toBeGreaterThan(0);
        expect(committed.size).toBeLessThan(MESSAGES);
        for (const entity of committed.values()) {
            expect(await storage.content.exists(entity.emlBlob), entity.subject).toBe(true);
        }
        await expireMailboxLeases(prefix);
        h.sim.resetCounters();

        const rerun = await runCli(['backup', '--type', 'full', '--format', 'eml'], env);

        expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
        await expectBackupMatches(storage, alice);
        const notCommitted = alice.messages().filter((m) => !committed.has(m.id));
        expect([...h.sim.counters.valueDownloads].sort()).toEqual(notCommitted.map((m) => m.id).sort());
        for await (const entity of storage.index.listMailbox(alice.id, ['messageId', 'version'])) {
            expect(entity.version, entity.messageId).toBe(1);
        }
    });

    it("continues a killed run's folder from the page it had reached", async () => {
        // Past the first page of 200, which is committed before the second is read.
        await killAfter(['backup', '--format', 'eml'], 215);
        await expireMailboxLeases(prefix);
        h.sim.resetCounters();

        const rerun = await runCli(['backup', '--format', 'eml'], env);

        expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
        await expectBackupMatches(storage, alice);
        // One delta request for each other folder, and for Inbox only its second page.
        const otherFolders = alice.mailbox.root.subtree().filter((f) => f.parent && !f.search).length - 1;
        expect(h.sim.counters.delta).toBe(otherFolders + 1);
    });

    it('can be run again right after being interrupted with Ctrl-C', async () => {
        await killAfter(['backup', '--format', 'eml'], 20, 'SIGINT');

        const rerun = await runCli(['backup', '--format', 'eml'], env);

        expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
        await expectBackupMatches(storage, alice);
    });
});
