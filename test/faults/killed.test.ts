import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runBackup, type RunSummary } from '../../src/backup/backupRun';
import { DEFAULT_OPTIONS } from '../../src/backup/options';
import { type BackupStorage, openStorage } from '../../src/store/storage';
import type { SimUser } from '../sim';
import { runCli } from '../support/cli';
import { startCli } from '../support/cliProcess';
import { createHarness, type Harness } from '../support/harness';
import { engineFor } from '../support/engine';
import { expireMailboxLeases, mailboxLocks, QUICK_LEASES, takeMailboxLock } from '../support/leases';
import { testConnectionString, uniquePrefix } from '../support/storage';
import { expectBackupMatches, indexOf } from '../support/truth';

/** Two delta pages (Graph serving 200 a page): enough for a kill to land inside a folder, small enough to be quick. */
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
        alice.mailbox.delta.maxPageSize = 200;
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

    it('finishes on a plain rerun right after kill -9, downloading only what the killed run had not committed', async () => {
        await killAfter(['backup', '--type', 'full', '--format', 'eml'], MESSAGES / 2);
        const committed = await indexOf(storage, alice.id);
        expect(committed.size).toBeGreaterThan(0);
        expect(committed.size).toBeLessThan(MESSAGES);
        for (const entity of committed.values()) {
            expect(await storage.content.exists(entity.emlBlob), entity.subject).toBe(true);
        }
        h.sim.resetCounters();

        // The killed run's lock is still leased: the rerun waits for it to lapse, and says so.
        const rerun = await runCli(['backup', '--type', 'full', '--format', 'eml'], env);

        expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
        expect(rerun.stderr).toMatch(/alice@contoso\.com: waiting for the lock of run \S+/);
        expect(rerun.stderr).toMatch(/alice@contoso\.com: took over the lock of run \S+, which stopped/);
        await expectBackupMatches(storage, alice);
        const notCommitted = alice.messages().filter((m) => !committed.has(m.id));
        expect([...h.sim.counters.valueDownloads].sort()).toEqual(notCommitted.map((m) => m.id).sort());
        for await (const entity of storage.index.listMailbox(alice.id, ['messageId', 'version'])) {
            expect(entity.version, entity.messageId).toBe(1);
        }
    }, 120_000);

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
        // Ctrl-C released the lock: nothing to wait for.
        expect(rerun.stderr).not.toMatch(/waiting for the lock/);
        await expectBackupMatches(storage, alice);
    });
});

describe('the lock on a mailbox', () => {
    let h: Harness;
    let alice: SimUser;
    let backup: () => Promise<RunSummary>;

    beforeEach(async () => {
        h = await createHarness({ latencyMs: 10 });
        alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.mailbox.delta.maxPageSize = 200;
        for (let i = 0; i < MESSAGES; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
        const engine = { ...engineFor(h), storage: { ...h.storage, locks: mailboxLocks(h.prefix) } };
        const options = { ...DEFAULT_OPTIONS, type: 'full', format: 'eml' } as const;
        backup = () => runBackup(engine, { type: 'full', trigger: 'test', options });
    });
    afterEach(async () => h.close());

    /** What the index holds of alice: her message rows and her folders' sync state. */
    async function written(): Promise<string> {
        const messages = [...(await indexOf(h.storage, alice.id)).values()];
        const folders = await h.storage.folders.list(alice.id);
        return JSON.stringify([messages, folders]);
    }

    it('stops a mailbox the moment its lock is lost, and writes nothing more under it', async () => {
        const running = backup();
        while (h.sim.counters.valueDownloads.length < 50) await new Promise((resolve) => setTimeout(resolve, 10));
        // As if renewals had failed until the lease lapsed, and another run then took the mailbox.
        const release = await takeMailboxLock(h.prefix, alice.id, 'the-other-run');
        // Long enough for a renewal (every 100 ms) to find the lease gone.
        await new Promise((resolve) => setTimeout(resolve, 10 * QUICK_LEASES.renewEveryMs));
        const atLoss = await written();

        const { outcomes } = await running;

        expect(await written()).toBe(atLoss);
        const [{ outcome }] = outcomes as [RunSummary['outcomes'][number]];
        expect(outcome.status).toBe('failed');
        expect(outcome.reason).toMatch(/the lock on this mailbox was lost .*wrote nothing more/);
        expect((await indexOf(h.storage, alice.id)).size).toBeLessThan(MESSAGES);
        await release();
        expect((await backup()).run.status).toBe('succeeded');
        await expectBackupMatches(h.storage, alice);
    });

    it('still leaves a mailbox to a run that keeps renewing its lock', async () => {
        const live = await mailboxLocks(h.prefix).acquire(alice.id, 'the-live-run');
        if (!live.acquired) throw new Error('the lock of a fresh mailbox is free');
        try {
            const { outcomes } = await backup();

            const [{ outcome }] = outcomes as [RunSummary['outcomes'][number]];
            expect(outcome.status).toBe('failed');
            expect(outcome.reason).toMatch(/another backup run \(the-live-run\) is working on this mailbox/);
            expect(h.logs.join('\n')).toMatch(/alice@contoso\.com: waiting for the lock of run the-live-run/);
            expect(h.sim.counters.valueDownloads).toEqual([]);
        } finally {
            await live.lease.release();
        }
    }, 60_000);
});
