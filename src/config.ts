import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

import type { BackupFormat } from './backup/options';
import type { CredentialSettings, GraphSettings } from './graph/credentials';
import { ConfigError } from './common/errors';
import type { StorageLocation } from './store/storageCredential';

/**
 * Settings read and validated once, at the edge (CLI or Functions host), into a typed object.
 * The engine never reads process.env.
 */
/** What the Functions app reads besides Graph and storage. */
export interface AppSettings {
    /** Mailboxes backed up at the same time across the tenant. */
    parallelMailboxes: number;
    /** Minutes one activity works on a mailbox before handing back its continuation; below the host's functionTimeout. */
    sliceMinutes: number;
    format: BackupFormat;
    /** Fraction of content blobs the scheduled verification re-reads. */
    verifySample: number;
    /** Restores write into mailboxes (Mail.ReadWrite); off unless the administrator turns it on. */
    restoreEnabled: boolean;
    /**
     * Days the scheduled cleanup keeps what left the mailboxes (deleted messages, superseded versions, run
     * history); 0 keeps everything and the cleanup does nothing.
     */
    retentionDays: number;
}

export const PUBLIC_CLOUD = {
    authorityHost: 'https://login.microsoftonline.com',
    graphEndpoint: 'https://graph.microsoft.com',
};

export type Env = Record<string, string | undefined>;

/** Reads a `.env` file (KEY=value lines) without touching process.env; the caller merges. */
export function readEnvFile(path: string): Env {
    let text: string;
    try {
        text = readFileSync(path, 'utf8');
    } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new ConfigError(`Cannot read the env file ${path} (${reason}).`, { cause: error });
    }
    return parseEnv(text);
}

export function loadGraphSettings(env: Env): GraphSettings {
    return {
        authorityHost: httpsUrl(env, 'AZURE_AUTHORITY_HOST', PUBLIC_CLOUD.authorityHost),
        graphEndpoint: httpsUrl(env, 'GRAPH_ENDPOINT', PUBLIC_CLOUD.graphEndpoint),
        credential: credentialSettings(env),
    };
}

/**
 * The backup's storage account: a connection string, or an identity-based connection in the Functions
 * convention (`<NAME>__blobServiceUri`, `__tableServiceUri`, `__clientId`), first under BACKUP_STORAGE, then
 * AzureWebJobsStorage (one account for the host and the backup).
 */
export function loadStorageLocation(env: Env): StorageLocation {
    const tablePrefix = tableName(env, 'BACKUP_TABLE_PREFIX', 'mailbackup');
    const container = containerName(env, 'BACKUP_CONTAINER', 'mailbackup');
    const explicit = value(env, 'BACKUP_STORAGE_CONNECTION_STRING');
    if (explicit) return { connectionString: explicit, tablePrefix, container };
    const identity = identityConnection(env, 'BACKUP_STORAGE') ?? identityConnection(env, 'AzureWebJobsStorage');
    if (identity) return { connectionString: '', tablePrefix, container, identity };
    const connectionString = value(env, 'AzureWebJobsStorage') ?? '';
    // The Functions host's local default; the CLI's own embedded Azurite serves the same purpose.
    const emulator = connectionString === 'UseDevelopmentStorage=true';
    return { connectionString: emulator ? '' : connectionString, tablePrefix, container };
}

function identityConnection(env: Env, prefix: string): StorageLocation['identity'] {
    const account = value(env, `${prefix}__accountName`);
    const blob = value(env, `${prefix}__blobServiceUri`) ?? (account && `https://${account}.blob.core.windows.net`);
    const table = value(env, `${prefix}__tableServiceUri`) ?? (account && `https://${account}.table.core.windows.net`);
    if (!blob && !table) return undefined;
    if (!blob || !table) {
        const have = blob ? 'blobServiceUri' : 'tableServiceUri';
        const need = blob ? 'tableServiceUri' : 'blobServiceUri';
        throw new ConfigError(
            `${prefix}__${have} is set but ${prefix}__${need} is not: the backup needs both services.`,
        );
    }
    return {
        blobServiceUrl: httpsUrl(env, `${prefix}__blobServiceUri`, blob),
        tableServiceUrl: httpsUrl(env, `${prefix}__tableServiceUri`, table),
        clientId: value(env, `${prefix}__clientId`) ?? value(env, 'AZURE_CLIENT_ID'),
    };
}

export function loadAppSettings(env: Env): AppSettings {
    return {
        // W, the mailboxes in flight; docs/capacity.md argues the default and where the ceiling binds.
        parallelMailboxes: integer(env, 'BACKUP_PARALLEL_MAILBOXES', 64, 1, 1000),
        sliceMinutes: decimal(env, 'BACKUP_SLICE_MINUTES', 20, 0.01, 230),
        format: backupFormat(env, 'BACKUP_FORMAT', 'both'),
        verifySample: fraction(env, 'VERIFY_SAMPLE', 0.05),
        restoreEnabled: flag(env, 'RESTORE_ENABLED', false),
        retentionDays: integer(env, 'RETENTION_DAYS', 0, 0, 36500),
    };
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
    const raw = value(env, name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
        throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}".`);
    }
    return n;
}

function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
    const raw = value(env, name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
        throw new ConfigError(`${name} must be a number from ${min} to ${max}, got "${raw}".`);
    }
    return n;
}

function fraction(env: Env, name: string, fallback: number): number {
    const raw = value(env, name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || n > 1) {
        throw new ConfigError(`${name} must be a fraction above 0 and at most 1 (e.g. 0.05), got "${raw}".`);
    }
    return n;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
    const raw = value(env, name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(`${name} must be true or false, got "${raw}".`);
}

function backupFormat(env: Env, name: string, fallback: BackupFormat): BackupFormat {
    const raw = value(env, name) ?? fallback;
    if (raw !== 'eml' && raw !== 'json' && raw !== 'both') {
        throw new ConfigError(`${name} must be eml, json or both, got "${raw}".`);
    }
    return raw;
}

function credentialSettings(env: Env): CredentialSettings {
    const tenantId = value(env, 'EXCHANGE_TENANT_ID');
    const clientId = value(env, 'EXCHANGE_CLIENT_ID');
    const clientSecret = value(env, 'EXCHANGE_CLIENT_SECRET');
    const certificatePath = value(env, 'EXCHANGE_CLIENT_CERTIFICATE_PATH');
    if (!tenantId && !clientSecret && !certificatePath) {
        // Azure Functions (and VMs) expose a managed identity; a user-assigned one is picked by its client id.
        if (value(env, 'IDENTITY_ENDPOINT') || value(env, 'MSI_ENDPOINT')) {
            return { kind: 'managedIdentity', clientId: value(env, 'AZURE_CLIENT_ID') ?? clientId };
        }
        throw new ConfigError(
            'No Microsoft Graph credentials: set EXCHANGE_TENANT_ID, EXCHANGE_CLIENT_ID and EXCHANGE_CLIENT_SECRET ' +
                '(or EXCHANGE_CLIENT_CERTIFICATE_PATH), e.g. in a file passed with --env-file, or run on Azure with a managed identity.',
        );
    }
    if (!tenantId) throw missing('EXCHANGE_TENANT_ID', 'the Directory (tenant) ID of your Entra ID tenant');
    if (!clientId) throw missing('EXCHANGE_CLIENT_ID', "the Application (client) ID of the backup's app registration");
    if (clientSecret) return { kind: 'secret', tenantId, clientId, clientSecret };
    if (certificatePath) return { kind: 'certificate', tenantId, clientId, certificatePath };
    throw missing('EXCHANGE_CLIENT_SECRET', 'a client secret value (or EXCHANGE_CLIENT_CERTIFICATE_PATH, a PEM file)');
}

function missing(name: string, what: string): ConfigError {
    return new ConfigError(`${name} is not set: it must hold ${what}.`);
}

function value(env: Env, name: string): string | undefined {
    const v = env[name]?.trim();
    return v ? v : undefined;
}

function httpsUrl(env: Env, name: string, fallback: string): string {
    const raw = value(env, name) ?? fallback;
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        throw new ConfigError(`${name} is not a URL: "${raw}".`);
    }
    // MSAL and the Graph client only send tokens over https
    // (docs/graph-behaviour.md, "Tokens and national clouds" and "The Graph client library").
    if (url.protocol !== 'https:') throw new ConfigError(`${name} must be an https:// URL, got "${raw}".`);
    return url.origin;
}

function tableName(env: Env, name: string, fallback: string): string {
    const v = value(env, name) ?? fallback;
    // The longest table name we derive is prefix + 'mailboxruns' (11); Azure allows 63 alphanumerics.
    if (!/^[A-Za-z][A-Za-z0-9]{0,50}$/.test(v)) {
        throw new ConfigError(`${name} must be letters and digits, starting with a letter (at most 51), got "${v}".`);
    }
    return v;
}

function containerName(env: Env, name: string, fallback: string): string {
    const v = value(env, name) ?? fallback;
    if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(v)) {
        throw new ConfigError(`${name} must be a valid blob container name (3-63 lowercase letters, digits, hyphens).`);
    }
    return v;
}
