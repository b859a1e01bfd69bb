/**
 * The CLI's embedded default under load: a full backup of one 20,000-message mailbox into an Azurite started
 * as the CLI starts it (on disk, with its generated key), timed tenth by tenth. A store whose every write scans
 * what it already holds makes each tenth slower than the one before; one that finds blobs and rows by key
 * keeps them level. The run is at zero latency and without Graph's request budget, so storage is what it
 * measures: with the budget every tenth would wait for Graph's 10-minute window instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { startAzurite } from '../../src/store/azurite';
import { startSimulator } from '../sim';
import { runEngine } from './engineJob';
import { measure } from './measure';
import { startCpuClock } from './processCpu';
import type { BenchContext, Outcome } from './scenarios';
import { demoTenant } from './tenants';

const TENTHS = 10;
const POLL_MS = 100;
/** docs/local-storage.md: the last tenth may take at most this many times the first. */
const TARGET_RATIO = 1.5;

export async function embeddedStorageScaling(ctx: BenchContext, messages: number): Promise<Outcome> {
    const tenant = demoTenant(1, messages);
    const location = await mkdtemp(path.join(os.tmpdir(), 'mail-backup-bench-embedded-'));
    const azurite = await startAzurite({ location, generatedKey: true });
    const sim = await startSimulator({ tenant, certDir: ctx.certDir, requestsPerWindow: Number.MAX_SAFE_INTEGER });
    try {
        const prefix = `b${randomBytes(6).toString('hex')}`;
        const job = { type: 'full' as const, env: sim.settings, connectionString: azurite.connectionString, prefix };
        const clock = startCpuClock(location);
        const marks = watchDownloads(() => sim.counters.value, messages);
        const engine = await runEngine(job, ctx.engine).finally(() => marks.stop());
        const cpu = clock.read();
        const tenths = marks.tenths();
        const seconds = tenths.map((s) => s.toFixed(1)).join(', ');
        ctx.note(`seconds per tenth of the downloads: ${seconds}`);
        const first = tenths[0] ?? NaN;
        const last = tenths[TENTHS - 1] ?? NaN;
        const ratio = last / first;
        const scenario = `full 1 × ${messages.toLocaleString('en-US')}, embedded Azurite, 0 ms`;
        const others = { simulatorCpuSeconds: cpu.own, azuriteCpuSeconds: cpu.child };
        return {
            rows: [measure(scenario, sim, tenant, engine, { latencyMs: 0 }, others)],
            checks: [
                {
                    target: `embedded Azurite: last tenth of a full backup ≤ ${TARGET_RATIO} × the first`,
                    met: ratio <= TARGET_RATIO && engine.status === 'succeeded',
                    figure: `${ratio.toFixed(2)} (first ${first.toFixed(1)} s, last ${last.toFixed(1)} s; tenths: ${seconds} s)`,
                },
            ],
        };
    } finally {
        await sim.close();
        await azurite.stop();
        await rm(location, { recursive: true, force: true });
    }
}

/**
 * Records when the count of `$value` downloads passes each tenth of `total`. The engine downloads a page's
 * messages only after the page before is stored, so downloads keep pace with writes.
 */
function watchDownloads(count: () => number, total: number) {
    const times: number[] = [];
    const sample = () => {
        const now = performance.now();
        const done = count();
        if (times.length === 0 && done > 0) times.push(now);
        while (times.length > 0 && times.length <= TENTHS && done >= (times.length * total) / TENTHS) times.push(now);
    };
    const timer = setInterval(sample, POLL_MS);
    return {
        stop: () => {
            clearInterval(timer);
            sample();
        },
        /** Seconds each tenth took, from the first download on. */
        tenths: () => times.slice(1).map((time, i) => (time - (times[i] ?? time)) / 1000),
    };
}
