/**
 * `npm run bench`: the engine against the Graph simulator with realistic latency, a bandwidth cap per
 * connection and Graph's per-mailbox limits, storing into Azurite (in memory, a fresh one per scenario).
 * One table row per scenario; the targets after it; JSON in .mail-backup/bench/results.json.
 *
 * The simulator runs in this process, Azurite in its own, and each engine run in a fresh process
 * (engineRun.ts) that trusts the simulator's CA from its start and whose memory and CPU are the engine's.
 *
 * Options: --latency <ms> (default 25), --bandwidth <bytes/s> (default 10 MiB/s; 0 for none),
 * --large (adds the 50 × 2,000 full backup), --huge (adds the no-change incremental of 100,000 messages,
 * whose seeding takes hours on Azurite), --only <text> (scenarios whose name contains it),
 * --profile (a V8 CPU profile of every engine run, in .mail-backup/bench/profiles).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startAzurite } from '../../src/store/azurite';
import { createTestCertificates } from '../sim';
import type { Row } from './measure';
import { checkLines, describeConditions, machine, tableHeader, tableRow, writeResults } from './report';
import { type Check, SCENARIOS } from './scenarios';

const OUTPUT = path.resolve(__dirname, '../../.mail-backup/bench');

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            latency: { type: 'string', default: '25' },
            bandwidth: { type: 'string', default: String(10 * 1024 * 1024) },
            large: { type: 'boolean', default: false },
            huge: { type: 'boolean', default: false },
            only: { type: 'string' },
            profile: { type: 'boolean', default: false },
        },
    });
    const bandwidth = Number(values.bandwidth);
    const conditions = {
        latencyMs: Number(values.latency),
        bandwidthBytesPerSec: bandwidth > 0 ? bandwidth : undefined,
    };
    const scenarios = SCENARIOS.filter(
        (s) => (!s.flag || values[s.flag]) && (!values.only || s.name.includes(values.only)),
    );
    const certDir = path.join(os.tmpdir(), 'mail-backup-bench-certs');
    const { caCertPath } = await createTestCertificates(certDir);
    const m = machine();
    console.log(`mail-backup bench: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, ${m.platform}`);
    console.log(`simulated Graph: ${describeConditions(conditions)}\n`);
    console.log(tableHeader());
    const rows: Row[] = [];
    const checks: Check[] = [];
    const started = performance.now();
    for (const scenario of scenarios) {
        // A fresh Azurite each: it finds a blob or row by scanning all it holds, so a scenario run after
        // another would pay for the other's data on every write.
        const azuriteDir = await mkdtemp(path.join(os.tmpdir(), 'mail-backup-bench-azurite-'));
        const azurite = await startAzurite({ location: azuriteDir, inMemory: true });
        try {
            const outcome = await scenario.run({
                connectionString: azurite.connectionString,
                certDir,
                engine: { caCertPath, profileDir: values.profile ? path.join(OUTPUT, 'profiles') : undefined },
                conditions,
                note: (message) => console.error(`  (${scenario.name}: ${message})`),
            });
            for (const row of outcome.rows) console.log(tableRow(row));
            rows.push(...outcome.rows);
            checks.push(...outcome.checks);
        } finally {
            await azurite.stop();
            await rm(azuriteDir, { recursive: true, force: true });
        }
    }
    console.log(`\nTargets:\n${checkLines(checks)}`);
    const file = path.join(OUTPUT, 'results.json');
    await writeResults(file, { conditions, rows, checks });
    const minutes = (performance.now() - started) / 60_000;
    console.log(`\n${rows.length} rows in ${minutes.toFixed(1)} min; JSON in ${path.relative(process.cwd(), file)}`);
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
