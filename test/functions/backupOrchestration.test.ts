import { spawnSync } from 'node:child_process';
import os from 'node:os';

import { afterEach, describe, expect, it } from 'vitest';

import { runBackup } from '../../src/backup/backupRun';
import type { BackupOptions } from '../../src/backup/options';
import { APP_OWNER, processOwner } from '../../src/backup/runSteps';
import { loadGraphSettings } from '../../src/config';
import { createCredential } from '../../src/graph/credentials';
import { createGraphClient } from '../../src/graph/graphClient';
import type { RunEntity } from '../../src/store/entities';
import { type BackupStorage, openStorage } from '../../src/store/storage';
import { createFunctionsHarness, type FunctionsHarness } from '../support/durable/appHarness';
import { recordFlight } from '../support/durable/flight';
import { flatten } from '../support/durable/replay';
import { testConnectionString, uniquePrefix } from '../support/storage';
import { expectBackupMatches, indexOf } from '../support/truth';
import type { SimUser } from '../sim';

const INSTANCE = 'mailbox-backup';
const FULL: BackupOptions = { type: 'full', format: 'both', attachments: true, folders: true };

describe('the backup orchestration', () => {
    let h: FunctionsHarness;
    afterEach(async () => h.close());

    function seed(mailboxes: number, messages: number): SimUser[] {
        const users: SimUser[] = [];
        for (let m = 0; m < mailboxes; m++) {
            const user = h.sim.tenant.addUser({ upn: `user${m}@contoso.com` });
            user.addFolder('Inbox', 'Projects');
            for (let i = 0; i < messages; i++)
                user.addMessage(i % 3 ? 'Inbox' : 'Inbox/Projects', { subject: `m${m} ${i}` });
            users.push(user);
        }
        h.sim.tenant.addUser({ upn: 'nomail@contoso.com', kind: 'noMailbox' });
        return users;
    }

    async function startAndFinish(body?: string) {
        const started = await h.http('startBackup', { method: 'POST', path: 'backups', body });
        expect(started.status).toBe(202);
        const { runId } = started.jsonBody as { runId: string };
        const instance = await h.extension.finished(INSTANCE);
        return { started, runId, instance };
    }

    /** The same tenant backed up by the CLI's driver, into tables and a container of its own. */
    async function backUpWithCli(
        options: { mailbox?: string[]; env?: Record<string, string>; storage?: BackupStorage } = {},
    ) {
        const prefix = uniquePrefix();
        const storage =
            options.storage ??
            (await openStorage({ connectionString: testConnectionString(), tablePrefix: prefix, container: prefix }));
        const graph = loadGraphSettings({ ...h.env, ...options.env });
        const client = createGraphClient(createCredential(graph), graph.graphEndpoint);
        const log = { info: () => undefined, warn: () => undefined };
        const deps = { client, storage, now: () => new Date(), log };
        const request = { type: 'full' as const, trigger: 'http', options: FULL, include: options.mailbox };
        const summary = await runBackup(deps, request).catch(() => undefined);
        return { storage, summary };
    }

    it('leaves the same run, mailbox rows and index whether the CLI or the orchestration drives the run', async () => {
        h = await createFunctionsHarness({ settings: { BACKUP_PARALLEL_MAILBOXES: '2' } });
        const users = seed(7, 12);

        const { started, runId, instance } = await startAndFinish('{"type":"full"}');

        expect(started.jsonBody).toMatchObject({ type: 'full', run: `/api/backups/${runId}` });
        expect((started.headers as Record<string, string>).Location).toMatch(new RegExp(`/api/backups/${runId}$`));
        expect(instance.runtimeStatus).toBe('Completed');
        expect(instance.output).toMatchObject({ runId, status: 'succeeded', mailboxesDone: 7, mailboxesSkipped: 1 });
        for (const user of users) await expectBackupMatches(h.storage, user);
        expect(h.sim.counters.value).toBe(7 * 12);
        const run = (await h.storage.runs.getRun(runId))!;
        expect(run).toMatchObject({ type: 'full', trigger: 'http', status: 'succeeded', messagesNew: 84 });
        expect(run.graphRequests).toBeGreaterThan(7 * 12);

        const cli = await backUpWithCli();

        expect(await recorded(cli.storage, cli.summary!.run.runId)).toEqual(await recorded(h.storage, runId));
        for (const user of users) expect(await shape(cli.storage, user.id)).toEqual(await shape(h.storage, user.id));
    });

    it('records the same failed run from either driver when discovery fails', async () => {
        const wrongSecret = { EXCHANGE_CLIENT_SECRET: 'not-the-secret' };
        h = await createFunctionsHarness({ settings: wrongSecret });
        seed(1, 1);

        const { runId, instance } = await startAndFinish();

        expect(instance.output).toMatchObject({
            runId,
            status: 'failed',
            reason: expect.stringMatching(/AADSTS/) as string,
        });
        const cli = await backUpWithCli({ env: wrongSecret });
        const [fromCli] = await runsIn(cli.storage);
        expect(fromCli).toMatchObject({ status: 'failed', mailboxesTotal: 0 });
        expect(await recorded(cli.storage, fromCli!.runId)).toEqual(await recorded(h.storage, runId));
    });

    it('asks for the same actions when its recorded history is replayed', async () => {
        h = await createFunctionsHarness({ settings: { BACKUP_PARALLEL_MAILBOXES: '2' } });
        seed(3, 4);
        await startAndFinish();
        const replayer = h.replayers[0]!;
        expect(replayer.executions.length).toBeGreaterThan(2);
        for (const execution of replayer.executions) {
            const replayed = await replayer.replay(execution);
            expect(replayed.map((a) => [a.actionType, a.functionName, a.input])).toEqual(
                execution.actions.map((a) => [a.actionType, a.functionName, a.input]),
            );
        }
        const first = replayer.executions.find((e) => e.instanceId === INSTANCE)!;
        expect(flatten(first.actions)[0]?.functionName).toBe('beginBackupRun');
    });

    it('keeps W mailboxes in flight, and a slow mailbox holds up no other', async () => {
        h = await createFunctionsHarness({ settings: { BACKUP_PARALLEL_MAILBOXES: '3' } });
        const users = seed(12, 1);
        const flight = recordFlight(h.registrations);
        // The first mailbox's slice ends only once every other mailbox is finished: a driver that waits
        // for a round's slowest member never gets there.
        const slice = h.registrations.get('backUpMailboxSlice')!.options;
        const original = slice.handler;
        let finished = 0;
        let othersDone!: () => void;
        const allOthersDone = new Promise<void>((resolve) => (othersDone = resolve));
        let slow: string | undefined;
        slice.handler = async (input: unknown, ...rest: unknown[]) => {
            const { mailbox } = input as { mailbox: { id: string } };
            slow ??= mailbox.id;
            if (mailbox.id === slow) await allOthersDone;
            const result = await original(input, ...rest);
            if (mailbox.id !== slow && ++finished === users.length - 1) othersDone();
            return result;
        };
        try {
            const { instance } = await startAndFinish();

            expect(instance.output).toMatchObject({ status: 'succeeded', mailboxesDone: 12 });
            expect([...flight.claims.values()]).toEqual(users.map(() => 1));
            expect(flight.maxInFlight).toBe(3);
            expect(flight.emptyClaims).toBe(3); // each worker ends when it finds the queue empty
        } finally {
            slice.handler = original;
            flight.restore();
        }
    });

    it('backs up 100 mailboxes 10 at a time, each once, in executions whose history does not grow with the tenant', async () => {
        h = await createFunctionsHarness({ settings: { BACKUP_PARALLEL_MAILBOXES: '10' } });
        const users = seed(100, 2);
        const flight = recordFlight(h.registrations);
        try {
            const { runId, instance } = await startAndFinish('{"type":"full"}');

            expect(instance.output).toMatchObject({ runId, status: 'succeeded', mailboxesDone: 100 });
            expect(flight.claims.size).toBe(100);
            expect(new Set(flight.claims.values())).toEqual(new Set([1]));
            expect(flight.maxInFlight).toBe(10);
            expect(h.sim.counters.valueDownloads).toHaveLength(200);
            expect(new Set(h.sim.counters.valueDownloads).size).toBe(200);
            for await (const row of h.storage.runs.listMailboxRuns(runId)) {
                if (row.status !== 'skipped') expect(row).toMatchObject({ status: 'succeeded', slices: 1 });
            }
            const { executions } = h.replayers[0]!;
            const workers = executions.filter((e) => e.instanceId !== INSTANCE);
            expect(new Set(workers.map((e) => e.instanceId)).size).toBe(10);
            expect(workers.length).toBeGreaterThan(10); // 200 claims and slices over 10 workers: they continued as new
            // A worker execution holds at most 20 activities (2 events each) plus its start; the run's, one per worker.
            for (const execution of workers) expect(execution.history.length).toBeLessThanOrEqual(2 * 21 + 2);
            for (const user of users.slice(0, 5)) await expectBackupMatches(h.storage, user);
        } finally {
            flight.restore();
        }
    }, 240_000);

    it('schedules a mailbox again when its slice runs out of time, until it is finished', async () => {
        // Slices of 1.2 s against a Graph with 20 ms latency: a page of 200 messages takes about two, so the
        // mailbox needs several slices, and each still finishes the page it started (no slice is idle).
        h = await createFunctionsHarness({ latencyMs: 20, settings: { BACKUP_SLICE_MINUTES: '0.02' } });
        const big = h.sim.tenant.addUser({ upn: 'big@contoso.com' });
        for (let i = 0; i < 700; i++) big.addMessage('Inbox', { subject: `big ${i}` });

        const { runId, instance } = await startAndFinish('{"type":"full"}');

        expect(instance.output).toMatchObject({ status: 'succeeded' });
        const row = (await h.storage.runs.getMailboxRun(runId, big.id))!;
        expect(row.status).toBe('succeeded');
        expect(row.slices).toBeGreaterThan(1);
        expect(row.messagesNew).toBe(700);
        await expectBackupMatches(h.storage, big);
        expect(h.sim.counters.value).toBe(700); // resumed where it stopped: nothing downloaded twice
    }, 180_000);

    it('records a mailbox that keeps failing as failed after its retries, and the run as partial', async () => {
        h = await createFunctionsHarness();
        const [good, bad] = seed(2, 5);
        h.sim.faults.add({ kind: 'delta', mailbox: bad!.upn, status: 500, times: 100_000 });

        const { runId, instance } = await startAndFinish();

        expect(instance.output).toMatchObject({ runId, status: 'partial', mailboxesDone: 1, mailboxesFailed: 1 });
        await expectBackupMatches(h.storage, good!);
        const rows = new Map<string, { status: string; reason: string }>();
        for await (const row of h.storage.runs.listMailboxRuns(runId)) rows.set(row.userPrincipalName, row);
        expect(rows.get(good!.upn)?.status).toBe('succeeded');
        expect(rows.get(bad!.upn)?.status).toBe('failed');
        expect(rows.get(bad!.upn)?.reason).toMatch(/InternalServerError/);
        const attempts = h.replayers[0]!.activityCalls.filter(
            (c) =>
                c.name === 'backUpMailboxSlice' &&
                (c.input as { mailbox: { upn?: string; userPrincipalName: string } }).mailbox.userPrincipalName ===
                    bad!.upn,
        );
        expect(attempts).toHaveLength(4);
        expect(attempts.every((a) => a.failed)).toBe(true);
        // The summary the alert in infra/ queries for.
        const summary = h.replayers[0]!.logs.find((l) => l.includes('mailbackup.run '));
        expect(summary).toBeDefined();
        const event = JSON.parse(summary!.slice(summary!.indexOf('{'))) as RunEntity;
        expect(event).toMatchObject({ runId, status: 'partial', mailboxesFailed: 1 });
    }, 240_000);

    it('records the run with what finished when a worker cannot claim at all', async () => {
        h = await createFunctionsHarness({ settings: { BACKUP_PARALLEL_MAILBOXES: '1' } });
        const users = seed(3, 2);
        // Storage refuses the second claim and every retry of it: the only worker stops after one mailbox.
        const claim = h.registrations.get('claimQueuedMailbox')!.options;
        const original = claim.handler;
        let claims = 0;
        claim.handler = (...args: unknown[]) =>
            ++claims === 1 ? original(...args) : Promise.reject(new Error('storage unavailable'));
        try {
            const { runId, instance } = await startAndFinish();

            expect(instance.runtimeStatus).toBe('Completed');
            expect(instance.output).toMatchObject({ runId, status: 'partial', mailboxesDone: 1, mailboxesFailed: 2 });
            const rows = [];
            for await (const row of h.storage.runs.listMailboxRuns(runId)) rows.push(row);
            const notStarted = rows.filter((r) => r.reason.startsWith('not started'));
            expect(notStarted.map((r) => r.status)).toEqual(['failed', 'failed']);
            const done = users.find((u) => !notStarted.some((r) => r.mailboxId === u.id))!;
            await expectBackupMatches(h.storage, done);
        } finally {
            claim.handler = original;
        }
    });

    it('runs one backup at a time: a second request gets 409 and a timer skips, with the reason', async () => {
        h = await createFunctionsHarness();
        seed(1, 3);
        const release = h.hold();
        const first = await h.http('startBackup', { method: 'POST', path: 'backups' });
        expect(first.status).toBe(202);
        const { runId } = first.jsonBody as { runId: string };

        const second = await h.http('startBackup', { method: 'POST', path: 'backups', body: '{"type":"incremental"}' });
        expect(second.status).toBe(409);
        expect(second.jsonBody).toMatchObject({
            status: 409,
            runId,
            run: `/api/backups/${runId}`,
        });
        const lines = await h.timer('incrementalBackupTimer');
        expect(lines.join('\n')).toMatch(
            new RegExp(`skipped the scheduled incremental backup: run ${runId}.*still going`),
        );
        expect(h.extension.starts).toHaveLength(1);

        release();
        await h.extension.finished(INSTANCE);
        await h.timer('incrementalBackupTimer');
        expect(h.extension.starts).toHaveLength(2);
        const next = await h.extension.finished(INSTANCE);
        expect(next.output).toMatchObject({ type: 'incremental', status: 'succeeded' });
    });

    it('records a run whose driver is gone as abandoned when the next run begins, and leaves one that may be going', async () => {
        h = await createFunctionsHarness();
        seed(1, 2);
        const dead = spawnSync(process.execPath, ['-e', '']).pid; // a process of this host that has ended
        const start = (trigger: string, owner: string) => h.storage.runs.startRun({ type: 'full', trigger, owner });
        const app = await start('timer', APP_OWNER);
        const killedCli = await start('cli', processOwner(os.hostname(), dead));
        const liveCli = await start('cli', processOwner(os.hostname(), process.pid));
        const elsewhere = await start('cli', processOwner('another-host', dead));
        const status = async (run: RunEntity) => (await h.storage.runs.getRun(run.runId))?.status;

        await startAndFinish();

        expect(await h.storage.runs.getRun(app.runId)).toMatchObject({
            status: 'failed',
            reason: expect.stringContaining('abandoned') as string,
        });
        expect(await status(killedCli)).toBe('running'); // the app cannot tell whether a CLI process is alive

        await backUpWithCli({ storage: h.storage });

        expect(await status(killedCli)).toBe('failed');
        expect(await status(liveCli)).toBe('running');
        expect(await status(elsewhere)).toBe('running');
    });

    it('starts one run when two requests race, and answers the other 409', async () => {
        h = await createFunctionsHarness();
        seed(1, 2);
        const release = h.hold();
        const answers = await Promise.all([
            h.http('startBackup', { method: 'POST', path: 'backups' }),
            h.http('startBackup', { method: 'POST', path: 'backups' }),
        ]);
        expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
        expect(h.extension.starts).toHaveLength(1);
        release();
        await h.extension.finished(INSTANCE);
    });

    it('answers a malformed request with 400 and a readable problem, starting nothing', async () => {
        h = await createFunctionsHarness();
        for (const body of [
            'not json',
            '[1]',
            '{"type":"weekly"}',
            '{"mailboxes":[]}',
            '{"mailboxes":[""]}',
            '{"typo":1}',
        ]) {
            const response = await h.http('startBackup', { method: 'POST', path: 'backups', body });
            expect(response.status, body).toBe(400);
            expect((response.headers as Record<string, string>)['Content-Type']).toBe('application/problem+json');
            expect((response.jsonBody as { detail: string }).detail.length).toBeGreaterThan(10);
        }
        expect(h.extension.starts).toHaveLength(0);
    });

    it('backs up only the mailboxes asked for, and serves the run history and statistics', async () => {
        h = await createFunctionsHarness();
        const [a, b] = seed(2, 4);
        const { runId } = await startAndFinish(
            JSON.stringify({ type: 'full', mailboxes: [a!.upn, 'ghost@contoso.com'] }),
        );

        const list = await h.http('listBackups', { path: 'backups' });
        expect((list.jsonBody as { runs: { runId: string }[] }).runs.map((r) => r.runId)).toEqual([runId]);
        const one = await h.http('getBackup', { path: `backups/${runId}`, params: { runId } });
        const body = one.jsonBody as { status: string; mailboxes: { userPrincipalName: string; status: string }[] };
        expect(body.status).toBe('partial'); // the unknown name counts as failed
        expect(body.mailboxes.map((m) => [m.userPrincipalName, m.status]).sort()).toEqual([
            ['ghost@contoso.com', 'failed'],
            [a!.upn, 'succeeded'],
        ]);
        expect((await indexOf(h.storage, b!.id)).size).toBe(0);
        const cli = await backUpWithCli({ mailbox: [a!.upn, 'ghost@contoso.com'] });
        expect(await recorded(cli.storage, cli.summary!.run.runId)).toEqual(await recorded(h.storage, runId));

        expect((await h.http('getBackup', { path: 'backups/nope', params: { runId: 'nope' } })).status).toBe(400);
        const missing = '20200101T000000Z-abcd';
        expect((await h.http('getBackup', { path: `backups/${missing}`, params: { runId: missing } })).status).toBe(
            404,
        );

        const stats = await h.http('getStats', { path: 'stats' });
        const report = stats.jsonBody as { mailboxes: { userPrincipalName: string; messages: number }[] };
        expect(report.mailboxes).toEqual([expect.objectContaining({ userPrincipalName: a!.upn, messages: 4 })]);
    });
});

/** A run's row and its mailbox rows, without what differs between two runs of the same tenant: ids and times. */
async function recorded(storage: BackupStorage, runId: string) {
    const run = await storage.runs.getRun(runId);
    const { partitionKey: _p, rowKey: _r, runId: _i, startedAt: _s, endedAt: _e, owner: _o, ...rest } = run!;
    const mailboxes = [];
    for await (const row of storage.runs.listMailboxRuns(runId)) {
        const { partitionKey: _pk, startedAt: _st, endedAt: _en, ...fields } = row;
        mailboxes.push(fields);
    }
    return { run: rest, mailboxes: mailboxes.sort((x, y) => x.rowKey.localeCompare(y.rowKey)) };
}

async function runsIn(storage: BackupStorage): Promise<RunEntity[]> {
    const runs: RunEntity[] = [];
    for await (const run of storage.runs.listRuns()) runs.push(run);
    return runs;
}

/** What the index says about each message of a mailbox, in a stable order. */
async function shape(storage: BackupStorage, mailboxId: string) {
    const index = await indexOf(storage, mailboxId);
    return [...index.values()].map((e) => [e.messageId, e.sha256, e.folderPath, e.emlBlob, e.jsonBlob]).sort();
}
