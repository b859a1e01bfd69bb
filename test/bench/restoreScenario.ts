/**
 * Restore: the throughput of one mailbox restored into another, compared with Microsoft 365 Backup's 200–300 items
 * per minute for one mailbox (learn: Microsoft 365 Backup overview), and the memory of restoring one very large
 * message.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import type { RestoreCounters } from '../../src/store/restoreHistory';
import { type Counters, type SimMessage, startSimulator, type Tenant } from '../sim';
import { type EngineProcessOptions, runEngine, runMeasured } from './engineJob';
import type { BenchContext, Outcome } from './scenarios';
import { demoTenant, mailboxUsers } from './tenants';

export interface RestoreJob {
    env: Record<string, string>;
    connectionString: string;
    prefix: string;
    source: string;
    target: string;
}

export interface RestoreResult {
    status: string;
    wallSeconds: number;
    cpuSeconds: number;
    maxRssMb: number;
    counters: RestoreCounters;
    /** Why the first few messages that failed did. */
    failures: string[];
}

const MB = 1024 * 1024;
/** Microsoft 365 Backup's published restore rate for a single mailbox (backup-overview.md). */
const M365_ITEMS_PER_MINUTE = 300;
const TARGET = 'restored@contoso.com';
const RESTORE_SCRIPT = path.join(__dirname, 'restoreRun.ts');
const LARGE_ATTACHMENT_BYTES = 88 * MB;
/** The bound the backup of the same message is held to (issue 10). */
const LARGE_RSS_LIMIT_MB = 256;

export async function restoreThroughput(ctx: BenchContext, messages: number): Promise<Outcome> {
    const tenant = demoTenant(1, messages);
    const { result, restored, sim } = await backUpAndRestore(ctx, tenant);
    const perMinute = (result.counters.messagesRestored / result.wallSeconds) * 60;
    const mimeMb = restored.reduce((sum, m) => sum + m.size, 0) / MB;
    const figure =
        `${result.counters.messagesRestored} of ${restored.length} messages in ${result.wallSeconds.toFixed(1)} s: ` +
        `${perMinute.toFixed(0)} messages/min, ${(mimeMb / result.wallSeconds).toFixed(2)} MB/s of MIME ` +
        `(${mimeMb.toFixed(1)} MB), ${(result.counters.bytesUploaded / MB).toFixed(1)} MB of attachments uploaded; ` +
        `${sim.write} writes + ${sim.upload} upload ranges, ${sim.throttled} 429s, ` +
        `max ${sim.maxConcurrentByMailbox.get(TARGET) ?? 0} in flight; ` +
        `engine ${result.cpuSeconds.toFixed(1)} CPU s, ${result.maxRssMb.toFixed(0)} MB peak RSS; ${result.status}`;
    ctx.note(`restore: ${figure}`);
    for (const failure of result.failures) ctx.note(`restore: a message failed: ${failure}`);
    return {
        rows: [],
        checks: [
            {
                target: `restore 1 × ${restored.length} at ${ctx.conditions.latencyMs} ms: ≥ ${M365_ITEMS_PER_MINUTE} items/min (Microsoft 365 Backup)`,
                met: perMinute >= M365_ITEMS_PER_MINUTE && result.status === 'succeeded',
                figure,
            },
        ],
    };
}

/**
 * One message of about 120 MB whose bulk is a single 88 MB attachment: the restore reads its MIME twice (sizes
 * first, then each attachment streamed into an upload session), so its memory stays that of a few upload ranges.
 */
export async function restoreLargeMessage(ctx: BenchContext): Promise<Outcome> {
    const tenant = demoTenant(1, 0);
    const [owner] = mailboxUsers(tenant);
    owner?.addMessage('Inbox', {
        subject: 'Site survey',
        attachments: [{ name: 'survey.zip', contentType: 'application/zip', size: LARGE_ATTACHMENT_BYTES }],
    });
    const { result, restored, sim } = await backUpAndRestore(ctx, tenant);
    const mimeMb = restored.reduce((sum, m) => sum + m.size, 0) / MB;
    const figure =
        `${mimeMb.toFixed(0)} MB message (${(LARGE_ATTACHMENT_BYTES / MB).toFixed(0)} MB attachment) in ` +
        `${result.wallSeconds.toFixed(1)} s, ${sim.upload} upload ranges; engine ${result.cpuSeconds.toFixed(1)} CPU s, ` +
        `${result.maxRssMb.toFixed(0)} MB peak RSS; ${result.status}`;
    ctx.note(`restore: ${figure}`);
    return {
        rows: [],
        checks: [
            {
                target: `restore one ${mimeMb.toFixed(0)} MB message: peak RSS < ${LARGE_RSS_LIMIT_MB} MB`,
                met: result.maxRssMb < LARGE_RSS_LIMIT_MB && result.status === 'succeeded',
                figure,
            },
        ],
    };
}

/**
 * The first mailbox of `tenant` backed up (untimed, at zero latency and without a request budget), then restored
 * into another mailbox against the simulator restarted on the same port with Graph's limits on and the bench's
 * latency.
 */
async function backUpAndRestore(
    ctx: BenchContext,
    tenant: Tenant,
): Promise<{ result: RestoreResult; restored: SimMessage[]; sim: Counters }> {
    const [source] = mailboxUsers(tenant);
    if (!source) throw new Error('the demo tenant has no mailbox');
    tenant.addUser({ upn: TARGET });
    const prefix = `b${randomBytes(6).toString('hex')}`;
    const seedSim = await startSimulator({ tenant, certDir: ctx.certDir, requestsPerWindow: Number.MAX_SAFE_INTEGER });
    const port = Number(new URL(seedSim.url).port);
    try {
        const seed = await runEngine(
            { type: 'full', env: seedSim.settings, connectionString: ctx.connectionString, prefix },
            ctx.engine,
        );
        ctx.note(`backed up ${source.messages().length} messages of ${source.upn}, untimed (${seed.status})`);
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
        const restored = source.messages();
        const result = await runRestore(
            { env: sim.settings, connectionString: ctx.connectionString, prefix, source: source.upn, target: TARGET },
            ctx.engine,
        );
        return { result, restored, sim: sim.counters };
    } finally {
        await sim.close();
    }
}

/** restoreRun.ts in a process of its own that trusts the simulator's CA, as runEngine does for backups. */
function runRestore(job: RestoreJob, options: EngineProcessOptions): Promise<RestoreResult> {
    return runMeasured<RestoreResult>(RESTORE_SCRIPT, job, options, 'the restore process');
}
