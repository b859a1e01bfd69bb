import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

import { ConfigError } from './errors';

/**
 * Settings read and validated once, at the edge (CLI or Functions host), into a typed object.
 * The engine never reads process.env.
 */
export interface GraphSettings {
    /** Entra ID host that issues tokens; national clouds need their own (graph-facts §11). */
    authorityHost: string;
    /** Microsoft Graph root, without version: https://graph.microsoft.com. */
    graphEndpoint: string;
    credential: CredentialSettings;
}

export type CredentialSettings =
    | { kind: 'secret'; tenantId: string; clientId: string; clientSecret: string }
    | { kind: 'certificate'; tenantId: string; clientId: string; certificatePath: string }
    | { kind: 'managedIdentity'; clientId?: string };

export interface StorageLocation {
    /** Empty when the CLI should start its embedded Azurite. */
    connectionString: string;
    tablePrefix: string;
    container: string;
}

export interface Settings {
    graph: GraphSettings;
    storage: StorageLocation;
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

export function loadSettings(env: Env): Settings {
    return { graph: loadGraphSettings(env), storage: loadStorageLocation(env) };
}

export function loadGraphSettings(env: Env): GraphSettings {
    return {
        authorityHost: httpsUrl(env, 'AZURE_AUTHORITY_HOST', PUBLIC_CLOUD.authorityHost),
        graphEndpoint: httpsUrl(env, 'GRAPH_ENDPOINT', PUBLIC_CLOUD.graphEndpoint),
        credential: credentialSettings(env),
    };
}

export function loadStorageLocation(env: Env): StorageLocation {
    const connectionString = value(env, 'BACKUP_STORAGE_CONNECTION_STRING') ?? value(env, 'AzureWebJobsStorage') ?? '';
    // The Functions host's local default; the CLI's own embedded Azurite serves the same purpose.
    const emulator = connectionString === 'UseDevelopmentStorage=true';
    return {
        connectionString: emulator ? '' : connectionString,
        tablePrefix: tableName(env, 'BACKUP_TABLE_PREFIX', 'mailbackup'),
        container: containerName(env, 'BACKUP_CONTAINER', 'mailbackup'),
    };
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
    // MSAL and the Graph client only send tokens over https (graph-facts §1, §2).
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
