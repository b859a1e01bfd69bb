/**
 * The engine side of one benchmark measurement, run in its own process by bench.ts: one `runBackup`
 * against the simulator, wired only through configuration as the CLI wires it. The process holds the
 * engine alone (the simulator and Azurite live elsewhere), so its peak RSS and CPU time are the engine's.
 *
 * Input: the job as JSON in argv[2]. Output: one line `RESULT <json>` on stdout.
 */
import { runBackup } from '../../src/backup/backupRun';
import type { Logger } from '../../src/common/logger';
import { DEFAULT_OPTIONS } from '../../src/backup/options';
import { loadGraphSettings } from '../../src/config';
import { createCredential } from '../../src/graph/credentials';
import { createGraphClient } from '../../src/graph/graphClient';
import { openStorage } from '../../src/store/storage';
import { type EngineJob, type EngineResult, RESULT_MARKER } from './engineJob';

async function main(): Promise<void> {
    const job = JSON.parse(process.argv[2] ?? '') as EngineJob;
    const storage = await openStorage({
        connectionString: job.connectionString,
        tablePrefix: job.prefix,
        container: job.prefix,
    });
    const settings = loadGraphSettings(job.env);
    const client = createGraphClient(createCredential(settings), settings.graphEndpoint);
    const warnings: string[] = [];
    const log: Logger = { info: () => undefined, warn: (message) => warnings.push(message) };
    const options = { ...DEFAULT_OPTIONS, type: job.type };

    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const summary = await runBackup(
        { client, storage, now: () => new Date(), log },
        { type: job.type, trigger: 'bench', options },
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);

    const result: EngineResult = {
        status: summary.run.status,
        wallSeconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        maxRssMb: process.resourceUsage().maxRSS / 1024,
        counters: summary.run,
        mailboxes: summary.outcomes.map(({ mailbox, outcome }) => ({
            userPrincipalName: mailbox.userPrincipalName,
            status: outcome.status,
            bytesDownloaded: outcome.counters.bytesDownloaded,
        })),
        warnings: warnings.slice(0, 20),
    };
    process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
