/**
 * The engine side of the restore benchmark, in its own process as engineRun.ts is for backups: one
 * `restoreMailbox` against the simulator, wired only through configuration as the CLI wires it.
 *
 * Input: the job as JSON in argv[2]. Output: one line `RESULT <json>` on stdout.
 */
import { loadGraphSettings } from '../../src/config';
import { createCredential } from '../../src/graph/credentials';
import { createGraphClient } from '../../src/graph/graphClient';
import { newRestoreId, restoreMailbox } from '../../src/restore/restoreMailbox';
import { openStorage } from '../../src/store/storage';
import { RESULT_MARKER } from './engineJob';
import type { RestoreJob, RestoreResult } from './restoreScenario';

async function main(): Promise<void> {
    const job = JSON.parse(process.argv[2] ?? '') as RestoreJob;
    const storage = await openStorage({
        connectionString: job.connectionString,
        tablePrefix: job.prefix,
        container: job.prefix,
    });
    const settings = loadGraphSettings(job.env);
    const client = createGraphClient(createCredential(settings), settings.graphEndpoint);
    const log = { info: () => undefined, warn: () => undefined };

    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const outcome = await restoreMailbox(
        { client, storage, now: () => new Date(), log },
        { restoreId: newRestoreId(new Date()), source: job.source, target: job.target },
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const result: RestoreResult = {
        status: outcome.status,
        wallSeconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        maxRssMb: process.resourceUsage().maxRSS / 1024,
        counters: outcome.counters,
        failures: outcome.failures.slice(0, 5).map((f) => f.error),
    };
    process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
