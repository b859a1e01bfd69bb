import { createHash } from 'node:crypto';

import type { Client } from '@microsoft/microsoft-graph-client';

import type { Logger } from '../../backup/mailboxContext';
import { type AppSettings, loadAppSettings, loadGraphSettings, loadStorageLocation } from '../../config';
import { createCredential } from '../../graph/credentials';
import { createGraphClient } from '../../graph/graphClient';
import { type BackupStorage, openStorage } from '../../store/storage';
import { storageSettings } from '../../store/storageCredential';

/** What the functions of one worker process share: settings, the Graph client (and its token cache), storage. */
export interface FunctionsEngine {
    client: Client;
    storage: BackupStorage;
    settings: AppSettings;
}

const engines = new Map<string, Promise<FunctionsEngine>>();

/**
 * The engine for the app settings in effect, opened once per worker process (creating the tables and
 * container on first use). A failed open is not cached, so the next invocation tries again — after an
 * administrator fixed a setting, for instance.
 */
export function getEngine(env: NodeJS.ProcessEnv = process.env): Promise<FunctionsEngine> {
    const key = settingsFingerprint(env);
    let engine = engines.get(key);
    if (!engine) {
        engine = openEngine(env);
        engines.set(key, engine);
        engine.catch(() => engines.delete(key));
    }
    return engine;
}

async function openEngine(env: NodeJS.ProcessEnv): Promise<FunctionsEngine> {
    const graph = loadGraphSettings(env);
    const location = loadStorageLocation(env);
    // The host's own local default (`UseDevelopmentStorage=true`) means the Azurite it runs against;
    // the storage SDKs understand that connection string themselves.
    const connectionString = location.connectionString || (location.identity ? '' : 'UseDevelopmentStorage=true');
    return {
        client: createGraphClient(createCredential(graph), graph.graphEndpoint),
        storage: await openStorage(storageSettings(location, connectionString)),
        settings: loadAppSettings(env),
    };
}

/** The settings that shape the engine, hashed: a change (tests, a setting fixed at runtime) opens a new one. */
function settingsFingerprint(env: NodeJS.ProcessEnv): string {
    const relevant = Object.entries(env)
        .filter(([name]) => /^(EXCHANGE_|AZURE_|GRAPH_|BACKUP_|VERIFY_|RESTORE_|AzureWebJobsStorage)/.test(name))
        .sort(([a], [b]) => a.localeCompare(b));
    return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}

/** The engine's Logger over a function's log (Application Insights `traces`). */
export function functionLogger(context: { log(...args: unknown[]): void; warn(...args: unknown[]): void }): Logger {
    return { info: (m) => context.log(m), warn: (m) => context.warn(m) };
}
