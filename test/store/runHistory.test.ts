import { beforeAll, describe, expect, it } from 'vitest';

import { emptyCounters, type MailboxRunEntity } from '../../src/store/entities';
import type { RunHistory } from '../../src/store/runHistory';
import { openStorage } from '../../src/store/storage';
import { testConnectionString, uniquePrefix } from '../support/storage';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
    const all: T[] = [];
    for await (const item of items) all.push(item);
    return all;
}

function mailboxRun(runId: string, mailboxId: string): MailboxRunEntity {
    return {
        partitionKey: runId,
        rowKey: mailboxId,
        mailboxId,
        userPrincipalName: `${mailboxId}@example.com`,
        status: 'succeeded',
        reason: '',
        startedAt: '2026-11-26T02:15:01.000Z',
        endedAt: '2026-11-26T02:16:00.000Z',
        failedItems: '[]',
        ...emptyCounters(),
        messagesNew: 12,
    };
}

describe('RunHistory', () => {
    let runs: RunHistory;

    beforeAll(async () => {
        const prefix = uniquePrefix();
        ({ runs } = await openStorage({
            connectionString: testConnectionString(),
            tablePrefix: prefix,
            container: prefix,
        }));
    });

    it('starts a run named after its UTC start time, running with zero counters', async () => {
        const run = await runs.startRun({ type: 'full', trigger: 'cli', now: new Date('2026-11-26T02:15:00.500Z') });
        expect(run.runId).toMatch(/^20261126T021500Z-[0-9a-f]{4}$/);
        expect(run).toMatchObject({
            partitionKey: 'run',
            rowKey: run.runId,
            status: 'running',
            startedAt: '2026-11-26T02:15:00.500Z',
            endedAt: '',
            messagesNew: 0,
            bytesStored: 0,
            mailboxesTotal: 0,
        });
        expect(await runs.getRun(run.runId)).toEqual(run);
    });

    it('keeps what updateRun wrote, counters past 2^31 included', async () => {
        const run = await runs.startRun({ type: 'incremental', trigger: 'timer' });
        const finished = {
            ...run,
            status: 'succeeded' as const,
            endedAt: new Date().toISOString(),
            bytesDownloaded: 5_000_000_000,
            mailboxesDone: 3,
        };
        await runs.updateRun(finished);
        expect(await runs.getRun(run.runId)).toEqual(finished);
        expect(await runs.getRun('19990101T000000Z-0000')).toBeUndefined();
    });

    it('lists runs in start order, from a given time on', async () => {
        const early = await runs.startRun({ type: 'full', trigger: 'cli', now: new Date('2027-01-01T00:00:00Z') });
        const late = await runs.startRun({ type: 'full', trigger: 'cli', now: new Date('2027-02-01T00:00:00Z') });
        const all = (await collect(runs.listRuns())).map((run) => run.runId);
        expect(all.indexOf(early.runId)).toBeLessThan(all.indexOf(late.runId));
        const since = (await collect(runs.listRuns(new Date('2027-01-15T00:00:00Z')))).map((run) => run.runId);
        expect(since).toEqual([late.runId]);
    });

    it("records each mailbox's outcome and deletes a run with its mailboxes", async () => {
        const run = await runs.startRun({ type: 'full', trigger: 'http' });
        const mailboxes = Array.from({ length: 120 }, (_, i) => mailboxRun(run.runId, `mailbox-${i}`));
        await Promise.all(mailboxes.map((entity) => runs.recordMailbox(entity)));
        await runs.recordMailbox({ ...mailboxRun(run.runId, 'mailbox-0'), status: 'failed', reason: 'throttled' });

        const recorded = await collect(runs.listMailboxRuns(run.runId));
        expect(recorded.length).toBe(120);
        expect(recorded.find((entity) => entity.mailboxId === 'mailbox-0')).toMatchObject({
            status: 'failed',
            reason: 'throttled',
            messagesNew: 12,
        });

        await runs.deleteRun(run.runId);
        expect(await runs.getRun(run.runId)).toBeUndefined();
        expect(await collect(runs.listMailboxRuns(run.runId))).toEqual([]);
        await runs.deleteRun(run.runId);
    });

    it('hands out each queued mailbox once to claimers racing for it, then nothing', async () => {
        const run = await runs.startRun({ type: 'full', trigger: 'http' });
        const queued = Array.from({ length: 40 }, (_, i) => ({
            mailboxId: `mailbox-${i}`,
            userPrincipalName: `user${i}@example.com`,
            displayName: `User ${i}`,
            shared: i % 2 === 0,
        }));
        await runs.enqueue(run.runId, queued);

        const claimed: string[] = [];
        const claimer = async () => {
            for (let next = await runs.claimQueued(run.runId, 8); next; next = await runs.claimQueued(run.runId, 8)) {
                claimed.push(next.mailboxId);
            }
        };
        await Promise.all(Array.from({ length: 8 }, claimer));

        expect(claimed.sort()).toEqual(queued.map((q) => q.mailboxId).sort());
        expect(await runs.claimQueued(run.runId, 8)).toBeUndefined();
    });

    it("deletes what is left of a run's queue with the run", async () => {
        const run = await runs.startRun({ type: 'full', trigger: 'http' });
        const queued = { mailboxId: 'left', userPrincipalName: 'left@example.com', displayName: '', shared: false };
        await runs.enqueue(run.runId, [queued]);

        await runs.deleteRun(run.runId);

        expect(await runs.claimQueued(run.runId, 1)).toBeUndefined();
    });
});
