/**
 * Restore throughput: one mailbox backed up (untimed, at zero latency and without a request budget), then
 * restored into another mailbox against the simulator restarted on the same port with Graph's limits on
 * and the bench's latency. Compared with Microsoft 365 Backup's 200–300 items per minute for one mailbox
 * (prior-art (c)).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import type { RestoreCounters } from '../../src/store/restoreHistory';
import { startSimulator } from '../sim';
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
}

const MB = 1024 * 1024;
/** Microsoft 365 Backup's published restore rate for a single mailbox (backup-overview.md). */
const M365_ITEMS_PER_MINUTE = 300;
const TARGET = 'restored@contoso.com';
const RESTORE_SCRIPT = path.join(__dirname, 'restoreRun.ts');

export async function restoreThroughput(ctx: BenchContext, messages: number): Promise<Outcome> {
    const tenant = demoTenant(1, messages);
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
        const perMinute = (result.counters.messagesRestored / result.wallSeconds) * 60;
        const mimeMb = restored.reduce((sum, m) => sum + m.size, 0) / MB;
        const figure =
            `${result.counters.messagesRestored} of ${restored.length} messages in ${result.wallSeconds.toFixed(1)} s: ` +
            `${perMinute.toFixed(0)} messages/min, ${(mimeMb / result.wallSeconds).toFixed(2)} MB/s of MIME ` +
            `(${mimeMb.toFixed(1)} MB), ${(result.counters.bytesUploaded / MB).toFixed(1)} MB of attachments uploaded; ` +
            `${sim.counters.write} writes + ${sim.counters.upload} upload ranges, ${sim.counters.throttled} 429s, ` +
            `max ${sim.counters.maxConcurrentByMailbox.get(TARGET) ?? 0} in flight; ` +
            `engine ${result.cpuSeconds.toFixed(1)} CPU s, ${result.maxRssMb.toFixed(0)} MB peak RSS; ${result.status}`;
        ctx.note(`restore: ${figure}`);
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
    } finally {
        await sim.close();
    }
}

/** restoreRun.ts in a process of its own that trusts the simulator's CA, as runEngine does for backups. */
function runRestore(job: RestoreJob, options: EngineProcessOptions): Promise<RestoreResult> {
    return runMeasured<RestoreResult>(RESTORE_SCRIPT, job, options, 'the restore process');
}
