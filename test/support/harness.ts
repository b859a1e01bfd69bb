import { runBackup, type RunSummary } from '../../src/backup/backupRun';
import type { Logger } from '../../src/common/logger';
import type { BackupOptions } from '../../src/backup/options';
import { loadGraphSettings } from '../../src/config';
import { createCredential } from '../../src/graph/credentials';
import { createGraphClient } from '../../src/graph/graphClient';
import { type BackupStorage, openStorage } from '../../src/store/storage';
import { type Simulator, startSimulator, type SimulatorOptions } from '../sim';
import { testConnectionString, uniquePrefix } from './storage';

export interface Harness {
    sim: Simulator;
    storage: BackupStorage;
    /** The table prefix and container name of this harness's storage. */
    prefix: string;
    /** The settings a real user would give: credentials plus AZURE_AUTHORITY_HOST and GRAPH_ENDPOINT. */
    env: Record<string, string>;
    logs: string[];
    /** `now`: the engine's clock (the real time by default), for a backup that must happen after a moment noted. */
    backup(
        options?: Partial<BackupOptions> & { mailbox?: string[]; exclude?: string[]; now?: () => Date },
    ): Promise<RunSummary>;
    close(): Promise<void>;
}

/**
 * A tenant simulator and a fresh set of tables and container on the shared Azurite, wired to the
 * engine exactly as the CLI wires it: only through configuration.
 */
export async function createHarness(options: SimulatorOptions = {}): Promise<Harness> {
    const sim = await startSimulator(options);
    const prefix = uniquePrefix();
    const storage = await openStorage({
        connectionString: testConnectionString(),
        tablePrefix: prefix,
        container: prefix,
    });
    const env = { ...sim.settings };
    const settings = loadGraphSettings(env);
    const client = createGraphClient(createCredential(settings), settings.graphEndpoint);
    const logs: string[] = [];
    const log: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(`WARN ${m}`) };
    return {
        sim,
        storage,
        prefix,
        env,
        logs,
        backup: ({ mailbox, exclude, now = () => new Date(), ...overrides } = {}) => {
            const backupOptions: BackupOptions = {
                type: 'incremental',
                format: 'both',
                attachments: true,
                folders: true,
                ...overrides,
            };
            return runBackup(
                { client, storage, now, log },
                { type: backupOptions.type, trigger: 'test', options: backupOptions, include: mailbox, exclude },
            );
        },
        close: () => sim.close(),
    };
}
