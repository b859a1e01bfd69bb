/**
 * Whether a 15-minute incremental schedule is affordable: a tenant of many mailboxes with nothing changed since the
 * last run is backed up again, and what counts is the requests each mailbox costs (the folder delta plus one message
 * delta per folder), the run's wall time, and the share of each mailbox's Graph budget a run every 15 minutes uses.
 * The index is seeded by an untimed full backup and incremental at zero latency, without a request budget; the
 * simulator is then restarted on the same port, with latency and Graph's limits, so the stored delta links stay valid.
 */
import { randomBytes } from 'node:crypto';

import { generateTenant, startSimulator, type Tenant } from '../sim';
import { runEngine } from './engineJob';
import { measure } from './measure';
import { startCpuClock } from './processCpu';
import type { BenchContext, Outcome } from './scenarios';
import { mailboxUsers, syncedFolders } from './tenants';

/** Outlook's budget per app and mailbox: 10,000 requests per 10 minutes. learn.microsoft.com/graph/throttling-limits */
const MAILBOX_BUDGET = { requests: 10_000, minutes: 10 };
const SCHEDULE_MINUTES = 15;
/** Few messages each: the scenario is about requests, and seeding many mailboxes into Azurite is slow. */
const MESSAGES_PER_MAILBOX = 3;
const MESSAGE_FOLDERS = ['Inbox', 'Inbox/Projects/2026', 'Archive/2025'];
/** One MIME for every message, stored once, so the seed stays off Azurite's slow path (a scan per blob write). */
const MIME = Buffer.from(
    [
        'From: Megan Bowen <meganb@fabrikam.com>',
        'To: Adele Vance <adele.vance@contoso.onmicrosoft.com>',
        'Subject: Standup notes',
        'Date: Thu, 15 Jan 2026 09:00:00 +0000',
        'Message-ID: <standup-notes@fabrikam.com>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Nothing new since yesterday.',
        '',
    ].join('\r\n'),
);

export async function fifteenMinuteSchedule(ctx: BenchContext, mailboxes: number): Promise<Outcome> {
    const tenant = quietTenant(mailboxes);
    const prefix = `r${randomBytes(6).toString('hex')}`;
    const seedSim = await startSimulator({ tenant, certDir: ctx.certDir, requestsPerWindow: Number.MAX_SAFE_INTEGER });
    const port = Number(new URL(seedSim.url).port);
    const job = (env: Record<string, string>, type: 'full' | 'incremental') => ({
        type,
        env,
        connectionString: ctx.connectionString,
        prefix,
    });
    try {
        const seed = await runEngine(job(seedSim.settings, 'full'), ctx.engine);
        // A mailbox the seed could not finish (a message that failed on a loaded machine) would be caught up by the
        // timed run; an untimed incremental settles it first, so the timed run has nothing to do.
        const settle = await runEngine(job(seedSim.settings, 'incremental'), ctx.engine);
        ctx.note(
            `seeded ${mailboxes.toLocaleString('en-US')} mailboxes in ${seed.wallSeconds.toFixed(0)} s ` +
                `+ ${settle.wallSeconds.toFixed(0)} s, untimed (${seed.status}, then ${settle.status}; ` +
                `${seedSim.counters.total.toLocaleString('en-US')} requests)`,
        );
    } finally {
        await seedSim.close();
    }
    const sim = await startSimulator({
        tenant,
        certDir: ctx.certDir,
        port,
        latencyMs: ctx.conditions.latencyMs,
        bandwidthBytesPerSec: ctx.conditions.bandwidthBytesPerSec,
    });
    try {
        const clock = startCpuClock('azurite');
        const engine = await runEngine(job(sim.settings, 'incremental'), ctx.engine);
        const cpu = clock.read();
        const statuses = new Map<string, number>();
        for (const m of engine.mailboxes) statuses.set(m.status, (statuses.get(m.status) ?? 0) + 1);
        ctx.note(
            `timed run ${engine.status}: ${[...statuses].map(([status, n]) => `${n} ${status}`).join(', ')}` +
                (engine.warnings.length > 0 ? `; first warnings: ${engine.warnings.slice(0, 3).join(' | ')}` : ''),
        );
        const scenario = `incr. no-change ${mailboxes.toLocaleString('en-US')} × ${MESSAGES_PER_MAILBOX}`;
        const row = measure(scenario, sim, tenant, engine, ctx.conditions, {
            simulatorCpuSeconds: cpu.own,
            azuriteCpuSeconds: cpu.child,
        });
        const users = mailboxUsers(tenant);
        const overBudget = users.filter((u) => (sim.counters.byMailbox.get(u.upn) ?? 0) > syncedFolders(u) + 1);
        const perMailbox = users.map((u) => sim.counters.byMailbox.get(u.upn) ?? 0);
        const mean = perMailbox.reduce((sum, n) => sum + n, 0) / Math.max(1, perMailbox.length);
        const most = Math.max(0, ...perMailbox);
        const budget = (MAILBOX_BUDGET.requests * SCHEDULE_MINUTES) / MAILBOX_BUDGET.minutes;
        const share = (most / budget) * 100;
        const folders = users[0] ? syncedFolders(users[0]) : 0;
        const n = `${mailboxes.toLocaleString('en-US')} mailboxes`;
        const every = `${SCHEDULE_MINUTES} min`;
        return {
            rows: [row],
            checks: [
                {
                    target: `no-change incremental of ${n}: ≤ folders + 1 requests each, no $value`,
                    met: overBudget.length === 0 && row.requests.value === 0 && engine.status === 'succeeded',
                    figure:
                        `${mean.toFixed(1)} requests per mailbox on average, ${most} at most, for ` +
                        `${folders} folders each; ${overBudget.length} mailboxes above folders + 1; ` +
                        `${row.requests.folders.toLocaleString('en-US')} folder requests in all, ` +
                        `${row.requests.value} $value`,
                },
                {
                    target: `a run every ${every}: it takes < ${every} and < 1% of each mailbox's Graph budget`,
                    met: engine.wallSeconds < SCHEDULE_MINUTES * 60 && share < 1,
                    figure:
                        `${engine.wallSeconds.toFixed(1)} s wall for ${mailboxes.toLocaleString('en-US')} mailboxes ` +
                        `(${row.requests.total.toLocaleString('en-US')} requests, ` +
                        `${(row.requests.total / engine.wallSeconds).toFixed(0)}/s); ${most} of a mailbox's ` +
                        `${budget.toLocaleString('en-US')} requests per ${SCHEDULE_MINUTES} min = ${share.toFixed(2)}%`,
                },
            ],
        };
    } finally {
        await sim.close();
    }
}

/** The demo tenant's mailboxes and folders, each with a few messages of one small MIME. */
function quietTenant(mailboxes: number): Tenant {
    const tenant = generateTenant({ mailboxes, messagesPerMailbox: 0, seed: 42 });
    for (const user of mailboxUsers(tenant)) {
        for (let i = 0; i < MESSAGES_PER_MAILBOX; i++) {
            const folder = MESSAGE_FOLDERS[i % MESSAGE_FOLDERS.length] ?? 'Inbox';
            user.addMessage(folder, {
                subject: `Standup ${i}`,
                mime: MIME,
                receivedAt: new Date(Date.UTC(2026, 0, 15)),
            });
        }
    }
    return tenant;
}
