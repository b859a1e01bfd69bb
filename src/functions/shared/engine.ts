import { createHash } from 'node:crypto';

import type { Client } from '@microsoft/microsoft-graph-client';

import type { Logger } from '../../common/logger';
import { type AppSettings, loadAppSettings, loadGraphSettings, loadStorageLocation } from '../../config';
import { createCredential, type GraphSettings } from '../../graph/credentials';
import { createGraphClient } from '../../graph/graphClient';
import { type BackupStorage, openStorage } from '../../store/storage';
import { type StorageLocation, storageSettings } from '../../store/storageCredential';

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
export async function getEngine(env: NodeJS.ProcessEnv = process.env): Promise<FunctionsEngine> {
    const settings = { graph: loadGraphSettings(env), location: loadStorageLocation(env), app: loadAppSettings(env) };
    // Keyed by the settings themselves (hashed: they hold the secret), so a changed setting opens a new engine.
    const key = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
    let engine = engines.get(key);
    if (!engine) {
        engine = openEngine(settings);
        engines.set(key, engine);
        engine.catch(() => engines.delete(key));
    }
    return await engine;
}

interface EngineSettings {
    graph: GraphSettings;
    location: StorageLocation;
    app: AppSettings;
}

async function openEngine({ graph, location, app }: EngineSettings): Promise<FunctionsEngine> {
    // The host's own local default (`UseDevelopmentStorage=true`) means the Azurite it runs against;
    // the storage SDKs understand that connection string themselves.
    const connectionString = location.connectionString || (location.identity ? '' : 'UseDevelopmentStorage=true');
    return {
        client: createGraphClient(createCredential(graph), graph.graphEndpoint),
        storage: await openStorage(storageSettings(location, connectionString)),
        settings: app,
    };
}

/** The engine's Logger over a function's log (Application Insights `traces`). */
export function functionLogger(context: { log(...args: unknown[]): void; warn(...args: unknown[]): void }): Logger {
    return { info: (m) => context.log(m), warn: (m) => context.warn(m) };
}
