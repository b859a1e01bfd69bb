import { afterEach, describe, expect, it, vi } from 'vitest';

import { runBackup } from '../../src/backup/backupRun';
import { backupMailbox } from '../../src/backup/mailboxBackup';
import type { ProgressEvent } from '../../src/backup/mailboxContext';
import { DEFAULT_OPTIONS } from '../../src/backup/options';
import type { SimFolder, SimMessage, SimUser, SimulatorOptions } from '../sim';
import { GraphError as SimGraphError } from '../sim/graph/graphError';
import { expectDownloadedOnce, expectOneVersionEach } from '../support/backupChecks';
import { engineFor, mailboxOf } from '../support/engine';
import { createHarness, type Harness } from '../support/harness';
import { expectBackupMatches, indexOf } from '../support/truth';

const FULL = { ...DEFAULT_OPTIONS, type: 'full' } as const;

describe('a backup through a Graph storm', () => {
    let h: Harness;

    afterEach(async () => {
        vi.restoreAllMocks();
        await h.close();
    });

    /** Two small mailboxes: folders at two depths, a draft, and a message with attachments. */
    async function tenant(options: SimulatorOptions = {}): Promise<{ alice: SimUser; bob: SimUser }> {
        h = await createHarness(options);
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        for (let i = 0; i < 14; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
        for (let i = 0; i < 4; i++) alice.addMessage('Inbox/Projects', { subject: `project ${i}` });
        alice.addMessage('Drafts', { subject: 'draft', isDraft: true });
        alice.addMessage('Inbox', { subject: 'with files', attachments: [{ name: 'a.pdf', size: 5000 }] });
        const bob = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
        for (let i = 0; i < 6; i++) bob.addMessage('Inbox', { subject: `bob ${i}` });
        return { alice, bob };
    }

    async function expectEverythingBackedUpOnce(...users: SimUser[]): Promise<void> {
        for (const user of users) {
            await expectBackupMatches(h.storage, user);
            await expectOneVersionEach(h.storage, user);
        }
        expectDownloadedOnce(h.sim.counters, ...users);
    }

    /** Makes Graph refuse the folder's delta every time, with an error no retry can cure; faults cannot single out one folder. */
    function refuseEveryDeltaOf(user: SimUser, folder: SimFolder, status: number, code: string): void {
        const delta = user.mailbox.delta;
        const start = delta.start.bind(delta);
        vi.spyOn(delta, 'start').mockImplementation((...args) => {
            if (args[0] !== folder) return start(...args);
            throw new SimGraphError(status, code, 'The request is invalid.');
        });
    }

    /**
     * Makes one message's $value drop the connection part-way through, every time, as a corrupt item would:
     * the simulator's faults cannot single out one message. Returns the undo.
     */
    function breakDownloadOf(message: SimMessage): () => void {
        message.sha256(); // the truth is computed from the intact bytes
        const error = console.error;
        vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
            if (args[0] !== 'tenant simulator: request failed') error(...args);
        });
        message.chunks = function* () {
            yield Buffer.from('Received: from mx.contoso.com\r\nSubject: half');
            throw new Error(`${message.subject} cannot be read`);
        };
        return () => {
            Reflect.deleteProperty(message, 'chunks');
            vi.restoreAllMocks();
        };
    }

    it('waits out sustained 429s as Retry-After asks and backs up everything exactly once', async () => {
        const { alice, bob } = await tenant();
        h.sim.faults.add({ kind: 'folders', status: 429, retryAfterSec: 1, times: 2 });
        h.sim.faults.add({ kind: 'delta', status: 429, retryAfterSec: 1, times: 5 });
        h.sim.faults.add({ kind: 'value', status: 429, retryAfterSec: 1, times: 6 });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        expect(run).toMatchObject({ mailboxesDone: 2, messagesNew: 26, messagesFailed: 0, graphThrottled: 13 });
        await expectEverythingBackedUpOnce(alice, bob);
    });

    it('waits out 503 and 504, with or without Retry-After', async () => {
        const { alice, bob } = await tenant();
        h.sim.faults.add({ kind: 'delta', status: 503, retryAfterSec: 1, times: 3 });
        h.sim.faults.add({ kind: 'value', status: 504, times: 2 });
        h.sim.faults.add({ kind: 'folders', status: 503, times: 1 });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        await expectEverythingBackedUpOnce(alice, bob);
    });

    it('retries 500 and 502 answers', async () => {
        const { alice, bob } = await tenant();
        h.sim.faults.add({ kind: 'delta', status: 500, times: 3 });
        h.sim.faults.add({ kind: 'value', status: 502, times: 4 });
        h.sim.faults.add({ kind: 'folders', status: 500, times: 2 });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        await expectEverythingBackedUpOnce(alice, bob);
    });

    it('recovers from connections dropped before the response and in the middle of a $value body', async () => {
        const { alice, bob } = await tenant();
        h.sim.faults.add({ kind: 'folders', reset: 'beforeResponse', times: 2 });
        h.sim.faults.add({ kind: 'delta', reset: 'beforeResponse', times: 3 });
        h.sim.faults.add({ kind: 'value', reset: 'beforeResponse', times: 3 });
        h.sim.faults.add({ kind: 'value', reset: 'midBody', times: 4 });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        expect(run.messagesFailed).toBe(0);
        await expectEverythingBackedUpOnce(alice, bob);
    });

    it('recovers from a connection dropped in the middle of a delta page', async () => {
        const { alice, bob } = await tenant();
        h.sim.faults.add({ kind: 'delta', reset: 'midBody', times: 2 });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        await expectEverythingBackedUpOnce(alice, bob);
    });

    it("waits for the mailbox's request budget to refill when it is spent", async () => {
        const { alice, bob } = await tenant({ requestsPerWindow: 10, windowMs: 700 });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        expect(h.sim.counters.throttled).toBeGreaterThan(0);
        expect(run.graphThrottled).toBe(h.sim.counters.throttled);
        await expectEverythingBackedUpOnce(alice, bob);
    });

    it('keeps four requests at most in flight per mailbox, so Exchange never throttles it for concurrency', async () => {
        const { alice, bob } = await tenant({ latencyMs: 25 });
        for (let i = 0; i < 30; i++) alice.addMessage('Inbox/Projects', { subject: `more ${i}` });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        expect(h.sim.counters.throttled).toBe(0);
        expect(h.sim.counters.maxConcurrentByMailbox.get(alice.upn)).toBe(4);
        expect(h.sim.counters.maxConcurrentByMailbox.get(bob.upn)).toBeLessThanOrEqual(4);
        await expectEverythingBackedUpOnce(alice, bob);
    });

    it('gets new access tokens when they expire during the run', async () => {
        const { alice, bob } = await tenant({ tokenLifetimeSec: 1, latencyMs: 100 });

        const started = Date.now();
        const { run } = await h.backup({ type: 'full' });

        expect(Date.now() - started).toBeGreaterThan(1000); // the run outlived its first token
        expect(h.sim.counters.token).toBeGreaterThan(2);
        expect(run.status).toBe('succeeded');
        await expectEverythingBackedUpOnce(alice, bob);
    });

    it('sends a request retried after a long Retry-After with a token that is still valid', async () => {
        const { alice, bob } = await tenant({ tokenLifetimeSec: 2 });
        h.sim.faults.add({ kind: 'delta', mailbox: 'bob@contoso.com', status: 429, retryAfterSec: 3, times: 1 });

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('succeeded');
        await expectEverythingBackedUpOnce(alice, bob);
    });

    it('reports a mailbox that keeps failing as failed and still backs up the others', async () => {
        const { alice, bob } = await tenant();
        h.sim.faults.add({ kind: 'delta', mailbox: bob.upn, status: 500, times: 10_000 });
        // Every attempt is still made; only the back-off between them is played out at once.
        const engine = engineFor(h, { now: () => new Date(), pause: () => Promise.resolve() });

        const { run } = await runBackup(engine, { type: 'full', trigger: 'test', options: FULL });

        expect(run.status).toBe('partial');
        expect(run).toMatchObject({ mailboxesDone: 1, mailboxesFailed: 1 });
        await expectBackupMatches(h.storage, alice);
        const rows = new Map<string, { status: string; reason: string }>();
        for await (const row of h.storage.runs.listMailboxRuns(run.runId)) rows.set(row.userPrincipalName, row);
        expect(rows.get(alice.upn)?.status).toBe('succeeded');
        expect(rows.get(bob.upn)?.status).toBe('failed');
        expect(rows.get(bob.upn)?.reason).toMatch(/InternalServerError/);
    });

    it('leaves no work running for a mailbox once it has been reported failed', async () => {
        const { alice, bob } = await tenant({ latencyMs: 30 });
        refuseEveryDeltaOf(bob, bob.addFolder(null, 'Broken'), 400, 'ErrorInvalidRequest');
        for (let f = 0; f < 8; f++) {
            const folder = bob.addFolder(null, `Customer ${f}`);
            for (let i = 0; i < 5; i++) bob.addMessage(folder.id, { subject: `customer ${f}/${i}` });
        }

        const outcome = await backupMailbox(engineFor(h), { mailbox: mailboxOf(bob), runId: 'run-1', options: FULL });
        const requestsWhenReported = h.sim.counters.byMailbox.get(bob.upn);
        // Work still running for bob would send a request within a round trip or two of the simulator: let it answer
        // dozens, backing alice up through the same latency, rather than sleep for a time guessed on a quiet machine
        // (on a loaded one the round trips slow down with the work they wait for).
        await h.backup({ mailbox: [alice.upn] });

        expect(outcome.status).toBe('failed');
        expect(h.sim.counters.byMailbox.get(bob.upn)).toBe(requestsWhenReported);
    });

    it('lists a folder the app may not read and backs up the rest of the mailbox', async () => {
        const { alice } = await tenant();
        const secret = alice.addFolder(null, 'Legal hold');
        alice.addMessage(secret.id, { subject: 'confidential' });
        refuseEveryDeltaOf(alice, secret, 403, 'ErrorAccessDenied');

        const { run, outcomes } = await h.backup();

        const outcome = outcomes.find((o) => o.mailbox.userPrincipalName === alice.upn)!.outcome;
        expect(outcome.status).toBe('partial');
        expect(outcome.failures).toEqual([expect.objectContaining({ folder: 'Legal hold' })]);
        expect(run.status).toBe('partial');
        const index = await indexOf(h.storage, alice.id);
        expect(index.size).toBe(alice.messages().length - 1);
    });

    it('skips a folder deleted while its mailbox is being backed up', async () => {
        const { alice } = await tenant();
        const doomed = alice.addFolder('Inbox', 'Doomed');
        for (let i = 0; i < 3; i++) alice.addMessage(doomed.id, { subject: `doomed ${i}` });
        const deleteWhenListed = (event: ProgressEvent): void => {
            if (event.kind === 'folders') alice.deleteFolder('Inbox/Doomed');
        };
        const deps = engineFor(h, { now: () => new Date(), progress: deleteWhenListed });

        const outcome = await backupMailbox(deps, { mailbox: mailboxOf(alice), runId: 'run-1', options: FULL });

        expect(outcome.status).toBe('succeeded');
        await expectBackupMatches(h.storage, alice);
    });

    it('lists a message that cannot be downloaded as failed, backs up the rest, and fetches it on the next run', async () => {
        const { alice, bob } = await tenant();
        const broken = alice.messages().find((m) => m.subject === 'inbox 7')!;
        const repair = breakDownloadOf(broken);

        const { run } = await h.backup({ type: 'full' });

        expect(run.status).toBe('partial');
        expect(run).toMatchObject({ mailboxesDone: 2, mailboxesFailed: 0, messagesFailed: 1 });
        const rows = new Map<string, { status: string; failedItems: string; messagesFailed: number }>();
        for await (const row of h.storage.runs.listMailboxRuns(run.runId)) rows.set(row.userPrincipalName, row);
        expect(rows.get(alice.upn)).toMatchObject({ status: 'partial', messagesFailed: 1 });
        expect(JSON.parse(rows.get(alice.upn)!.failedItems)).toEqual([
            expect.objectContaining({ id: broken.id, subject: 'inbox 7', folder: 'Inbox' }),
        ]);
        expect(rows.get(bob.upn)?.status).toBe('succeeded');
        const index = await indexOf(h.storage, alice.id);
        expect(index.has(broken.id)).toBe(false);
        expect([...index.keys()].sort()).toEqual(
            alice
                .messages()
                .filter((m) => m !== broken)
                .map((m) => m.id)
                .sort(),
        );
        await expectBackupMatches(h.storage, bob);

        repair();
        h.sim.resetCounters();
        const next = await h.backup();

        expect(next.run.status).toBe('succeeded');
        expect(h.sim.counters.valueDownloads).toEqual([broken.id]);
        await expectBackupMatches(h.storage, alice);
        await expectOneVersionEach(h.storage, alice);
    });
});
