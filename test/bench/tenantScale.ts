/**
 * Tenant scale: the Functions app's backup orchestration for a tenant of many small mailboxes, driven by
 * the durable-functions replay harness (tenantScaleRun.ts, in a process of its own). It shows that each
 * mailbox is backed up once, that W mailboxes stay in flight while any are queued, and that no
 * orchestration execution's history grows with the tenant.
 *
 * A run with stand-in slices (a wait, then the mailbox's row written as the slice step writes it) keeps
 * discovery, the queue, every claim and every run-history row real, against the simulator and Azurite,
 * and leaves out the mail itself; a run with real slices backs up every message too.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import { startSimulator, Tenant } from '../sim';
import { runMeasured } from './engineJob';
import type { BenchContext, Check, Outcome } from './scenarios';
import type { TenantScaleJob, TenantScaleResult } from './tenantScaleRun';

const SCRIPT = path.join(__dirname, 'tenantScaleRun.ts');
/**
 * A stand-in slice takes as long as a mailbox of 330–670 requests at Graph's 16.7 a second. Much shorter
 * slices would measure the emulator instead: W ÷ (a mailbox's seconds) claims a second must be answered, and
 * the bench's Azurite answers about a hundred table requests a second on a busy 2-core machine.
 */
const STAND_IN_MS = { minMs: 20_000, maxMs: 40_000 };

export interface ScaleRun {
    mailboxes: number;
    workers: number;
    messagesPerMailbox: number;
    /** Stand-in slices instead of backing up the mail. */
    standIn: boolean;
}

/**
 * 10,000 mailboxes at W = 500 (far above the default 64); then real slices: 1,000 small mailboxes at the
 * default W for the cost of a mailbox, and 20 mailboxes of 200 messages for the cost of a message.
 */
const RUNS: ScaleRun[] = [
    { mailboxes: 10_000, workers: 500, messagesPerMailbox: 3, standIn: true },
    { mailboxes: 1_000, workers: 64, messagesPerMailbox: 3, standIn: false },
    { mailboxes: 20, workers: 20, messagesPerMailbox: 200, standIn: false },
];

export async function tenantScale(ctx: BenchContext, runs: ScaleRun[] = RUNS): Promise<Outcome> {
    const checks: Check[] = [];
    for (const { mailboxes: count, workers, messagesPerMailbox, standIn } of runs) {
        const tenant = new Tenant();
        for (let m = 0; m < count; m++) {
            const user = tenant.addUser({ upn: `user${m}@contoso.com` });
            for (let i = 0; i < messagesPerMailbox; i++) user.addMessage('Inbox', { subject: `m${m} ${i}` });
        }
        const sim = await startSimulator({ tenant, certDir: ctx.certDir, latencyMs: ctx.conditions.latencyMs });
        try {
            const job: TenantScaleJob = {
                env: sim.settings,
                connectionString: ctx.connectionString,
                prefix: `t${randomBytes(6).toString('hex')}`,
                workers,
                standInSlices: standIn ? { ...STAND_IN_MS, messagesPerMailbox } : undefined,
            };
            const slices = standIn ? 'stand-in slices' : 'real slices';
            ctx.note(`${count} mailboxes × ${messagesPerMailbox} messages, W = ${workers}, ${slices}`);
            const r = await runMeasured<TenantScaleResult>(SCRIPT, job, ctx.engine, 'the orchestration process');
            const graph = standIn ? '' : `; Graph: ${sim.counters.total} requests, ${sim.counters.value} $value`;
            const figure = describe(r, workers, `${slices}${graph}`);
            ctx.note(figure);
            checks.push({
                target: `${count.toLocaleString('en-US')} × ${messagesPerMailbox}, W = ${workers} (${slices}): each mailbox once, at most W in flight`,
                met:
                    r.status === 'succeeded' &&
                    r.mailboxesDone === count &&
                    r.claimed === count &&
                    r.claimedTwice === 0 &&
                    r.maxInFlight === Math.min(workers, count),
                figure,
            });
        } finally {
            await sim.close();
        }
    }
    return { rows: [], checks };
}

function describe(r: TenantScaleResult, workers: number, slices: string): string {
    const calls = Object.entries(r.activityCalls)
        .map(([name, n]) => `${name} ${n.toLocaleString('en-US')}`)
        .join(', ');
    return (
        `${r.status}: ${r.mailboxesDone.toLocaleString('en-US')} done, ${r.mailboxesFailed} failed, ` +
        `${r.claimed.toLocaleString('en-US')} claimed (${r.claimedTwice} twice); in flight max ${r.maxInFlight} of ` +
        `W = ${workers}, occupancy ${(r.occupancy * 100).toFixed(1)}% (a claim ${r.meanClaimMs.toFixed(0)} ms, a mailbox ` +
        `${r.meanMailboxMs.toFixed(0)} ms from claim to finish); ${r.executions.toLocaleString('en-US')} ` +
        `executions, ${r.continuedAsNew.toLocaleString('en-US')} continue-as-new; largest history of a worker ` +
        `${r.largestHistoryOfWorker} events, of the run ${r.largestHistoryOfRun}; activities: ${calls}; storage requests: ` +
        `${r.storageRequests.blob.toLocaleString('en-US')} blob, ${r.storageRequests.table.toLocaleString('en-US')} table; ` +
        `${r.wallSeconds.toFixed(1)} s wall, ${r.cpuSeconds.toFixed(1)} CPU s, ${r.maxRssMb.toFixed(0)} MB RSS (${slices})`
    );
}
