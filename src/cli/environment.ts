import path from 'node:path';

import { type Env, loadStorageLocation, readEnvFile } from '../config';
import { type RunningAzurite, startAzurite } from '../store/azurite';
import { type BackupStorage, openStorage } from '../store/storage';
import { storageSettings } from '../store/storageCredential';

export interface CliEnvironment {
    env: Env;
    storage: BackupStorage;
    /** Where the data lives, for the summary: an account endpoint or the embedded Azurite's folder. */
    storageLabel: string;
    close(): Promise<void>;
}

/** The process environment, with a `--env-file` layered over it (the file wins). */
export function readEnvironment(envFile: string | undefined): Env {
    return envFile ? { ...process.env, ...readEnvFile(envFile) } : { ...process.env };
}

/**
 * Opens the backup's storage: the configured account, or — when no Azure Storage is configured —
 * an Azurite the CLI starts itself with its data under BACKUP_LOCAL_DATA (default ./.mail-backup).
 */
export async function openCliStorage(env: Env): Promise<CliEnvironment> {
    const location = loadStorageLocation(env);
    let azurite: RunningAzurite | undefined;
    let connectionString = location.connectionString;
    let storageLabel = location.identity ? location.identity.blobServiceUrl : storageAccountLabel(connectionString);
    if (!connectionString && !location.identity) {
        const dataDir = path.resolve(env.BACKUP_LOCAL_DATA ?? '.mail-backup', 'azurite');
        azurite = await startAzurite({ location: dataDir, generatedKey: true });
        connectionString = azurite.connectionString;
        storageLabel = `embedded Azurite (${dataDir})`;
    }
    try {
        const storage = await openStorage(storageSettings(location, connectionString));
        return { env, storage, storageLabel, close: async () => azurite?.stop() };
    } catch (error) {
        await azurite?.stop();
        throw error;
    }
}

function storageAccountLabel(connectionString: string): string {
    const account = /AccountName=([^;]+)/i.exec(connectionString)?.[1];
    const endpoint = /BlobEndpoint=([^;]+)/i.exec(connectionString)?.[1];
    return account ? `storage account ${account}${endpoint ? ` (${endpoint})` : ''}` : 'configured storage';
}
