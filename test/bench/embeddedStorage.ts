/**
 * The CLI's embedded default under load: a full backup of one 20,000-message mailbox into an Azurite started
 * as the CLI starts it (on disk, with its generated key), timed tenth by tenth. A store whose every write scans
 * what it already holds makes each tenth slower than the one before; one that finds blobs and rows by key
 * keeps them level. The run is at zero latency and without Graph's request budget, so storage is what it
 * measures: with the budget every tenth would wait for Graph's 10-minute window instead. Azurite's CPU seconds
 * per tenth are printed too: unlike wall time, they do not depend on what else the machine is running.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { startAzurite } from '../../src/store/azurite';
import { startSimulator } from '../sim';
import { runEngine } from './engineJob';
import { measure } from './measure';
import { type CpuClock, startCpuClock } from './processCpu';
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
        const marks = watchDownloads(() => sim.counters.value, messages, clock);
        const engine = await runEngine(job, ctx.engine).finally(() => marks.stop());
        const cpu = clock.read();
        if (engine.status !== 'succeeded')
            ctx.note(`the engine ended ${engine.status}: ${engine.warnings.join(' | ')}`);
        const { wall, azuriteCpu } = marks.tenths();
        const seconds = list(wall);
        ctx.note(`seconds per tenth of the downloads: ${seconds}; Azurite CPU seconds: ${list(azuriteCpu)}`);
        const first = wall[0] ?? NaN;
        const last = wall[TENTHS - 1] ?? NaN;
        const ratio = last / first;
        const cpuRatio = (azuriteCpu[TENTHS - 1] ?? NaN) / (azuriteCpu[0] ?? NaN);
        const scenario = `full 1 × ${messages.toLocaleString('en-US')}, embedded Azurite, 0 ms`;
        const others = { simulatorCpuSeconds: cpu.own, azuriteCpuSeconds: cpu.child };
        return {
            rows: [measure(scenario, sim, tenant, engine, { latencyMs: 0 }, others)],
            checks: [
                {
                    target: `embedded Azurite: last tenth of a full backup ≤ ${TARGET_RATIO} × the first`,
                    met: ratio <= TARGET_RATIO && engine.status === 'succeeded',
                    figure:
                        `${ratio.toFixed(2)} (first ${first.toFixed(1)} s, last ${last.toFixed(1)} s; tenths: ${seconds} s); ` +
                        `Azurite CPU last/first ${cpuRatio.toFixed(2)}`,
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
 * Records when the count of `$value` downloads passes each tenth of `total`, and Azurite's CPU time then. The
 * engine downloads a page's messages only after the page before is stored, so downloads keep pace with writes.
 */
function watchDownloads(count: () => number, total: number, clock: CpuClock) {
    const marks: { time: number; azuriteCpu: number }[] = [];
    const sample = () => {
        const mark = { time: performance.now(), azuriteCpu: clock.read().child ?? NaN };
        const done = count();
        if (marks.length === 0 && done > 0) marks.push(mark);
        while (marks.length > 0 && marks.length <= TENTHS && done >= (marks.length * total) / TENTHS) marks.push(mark);
    };
    const timer = setInterval(sample, POLL_MS);
    return {
        stop: () => {
            clearInterval(timer);
            sample();
        },
        /** Seconds each tenth took from the first download on, and Azurite's CPU seconds in each. */
        tenths: () => {
            const spans = marks.slice(1).map((mark, i) => ({ mark, before: marks[i] ?? mark }));
            return {
                wall: spans.map(({ mark, before }) => (mark.time - before.time) / 1000),
                azuriteCpu: spans.map(({ mark, before }) => mark.azuriteCpu - before.azuriteCpu),
            };
        },
    };
}

function list(seconds: number[]): string {
    return seconds.map((s) => s.toFixed(1)).join(', ');
}
