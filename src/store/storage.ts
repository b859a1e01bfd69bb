/**
 * Opens the backup's storage: eight tables and one blob container in one storage account, created when
 * missing. Table names are the prefix followed by messages, versions, attachments, placements, folders,
 * runs, mailboxruns and restores (`mailbackupmessages`, ...).
 *
 * Two ways in: a connection string with an account key (or SAS) and explicit or default endpoints, or,
 * for a managed identity, the blob and table service URLs with a TokenCredential.
 */
import type { TokenCredential } from '@azure/identity';
import { TableClient, TableServiceClient, type TableServiceClientOptions } from '@azure/data-tables';
import { BlobServiceClient, type StoragePipelineOptions } from '@azure/storage-blob';

import { ConfigError } from '../common/errors';
import { ContentStore } from './contentStore';
import { FolderStateStore } from './folderState';
import { IndexSnapshots } from './indexSnapshot';
import { MailboxLocks } from './mailboxLocks';
import { MessageIndex } from './messageIndex';
import { RestoreHistory } from './restoreHistory';
import { RunHistory } from './runHistory';
import { asStorageError } from './storageErrors';

export interface StorageSettings {
    /** Empty when the service URLs and a credential are given instead. */
    connectionString: string;
    /** Start of every table name, e.g. 'mailbackup': letters and digits, starting with a letter. */
    tablePrefix: string;
    /** Blob container for content. */
    container: string;
    blobServiceUrl?: string;
    tableServiceUrl?: string;
    credential?: TokenCredential;
}

export interface BackupStorage {
    index: MessageIndex;
    content: ContentStore;
    folders: FolderStateStore;
    runs: RunHistory;
    locks: MailboxLocks;
    restores: RestoreHistory;
    /** Copies of the index partitions in the container (indexSnapshot.ts). */
    snapshots: IndexSnapshots;
}

const TABLES = [
    'messages',
    'versions',
    'attachments',
    'placements',
    'folders',
    'runs',
    'mailboxruns',
    'restores',
] as const;
type TableName = (typeof TABLES)[number];

// Transient failures (network errors, timeouts, 500, 503 throttling) are retried by the SDKs with
// exponential backoff: 3 retries within about 4 s. The SDKs' defaults (4 s and 1 s bases) would keep a
// run that cannot reach storage at all waiting some 16 s before saying so.
const BLOB_OPTIONS: StoragePipelineOptions = { retryOptions: { maxTries: 4, retryDelayInMs: 1_000 } };
const TABLE_RETRIES = { maxRetries: 3, retryDelayInMs: 500 };

interface Clients {
    blobService: BlobServiceClient;
    table: (name: string) => TableClient;
    tableServiceUrl: string;
    /** Appended to StorageError messages: what to check. */
    hint: string;
}

/**
 * Creates what is missing (creating what exists is a no-op) and returns the stores. An unreachable
 * account or refused credentials become a StorageError naming the endpoint.
 */
export async function openStorage(settings: StorageSettings): Promise<BackupStorage> {
    const clients = connect(settings);
    const tables = Object.fromEntries(
        TABLES.map((name) => [name, clients.table(`${settings.tablePrefix}${name}`)]),
    ) as Record<TableName, TableClient>;
    const container = clients.blobService.getContainerClient(settings.container);
    const blobUrl = clients.blobService.url;
    await Promise.all([
        container.createIfNotExists().catch((error: unknown) => {
            throw asStorageError(error, blobUrl, clients.hint);
        }),
        // createTable tolerates TableAlreadyExists.
        ...TABLES.map((name) =>
            tables[name].createTable().catch((error: unknown) => {
                throw asStorageError(error, clients.tableServiceUrl, clients.hint);
            }),
        ),
    ]);
    return {
        index: new MessageIndex({
            messages: tables.messages,
            versions: tables.versions,
            attachments: tables.attachments,
            placements: tables.placements,
        }),
        content: new ContentStore(container),
        folders: new FolderStateStore(tables.folders),
        runs: new RunHistory({ runs: tables.runs, mailboxRuns: tables.mailboxruns }),
        locks: new MailboxLocks(container),
        restores: new RestoreHistory(tables.restores),
        snapshots: new IndexSnapshots(tables, container),
    };
}

function connect(settings: StorageSettings): Clients {
    if (settings.connectionString) return connectWithConnectionString(settings.connectionString);
    const { blobServiceUrl, tableServiceUrl, credential } = settings;
    if (!blobServiceUrl || !tableServiceUrl || !credential) {
        throw new ConfigError(
            'Azure Storage is not configured: set BACKUP_STORAGE_CONNECTION_STRING, or the blob and table service URLs for a managed identity',
        );
    }
    const tableOptions = tableClientOptions(tableServiceUrl);
    return {
        blobService: new BlobServiceClient(blobServiceUrl, credential, BLOB_OPTIONS),
        table: (name) => new TableClient(tableServiceUrl, name, credential, tableOptions),
        tableServiceUrl,
        hint: "check the storage account URLs and the identity's Storage Blob Data Contributor and Storage Table Data Contributor roles",
    };
}

function connectWithConnectionString(connectionString: string): Clients {
    const hint = 'check BACKUP_STORAGE_CONNECTION_STRING';
    try {
        const blobService = BlobServiceClient.fromConnectionString(connectionString, BLOB_OPTIONS);
        const tableServiceUrl = TableServiceClient.fromConnectionString(connectionString).url;
        const tableOptions = tableClientOptions(tableServiceUrl);
        return {
            blobService,
            table: (name) => TableClient.fromConnectionString(connectionString, name, tableOptions),
            tableServiceUrl,
            hint,
        };
    } catch (error) {
        // The SDKs' messages about a malformed connection string do not quote it, but stay on the safe side.
        throw new ConfigError(`BACKUP_STORAGE_CONNECTION_STRING is not a valid Azure Storage connection string`, {
            cause: error,
        });
    }
}

/** Azurite serves plain http; the Tables SDK refuses that unless told otherwise. */
function tableClientOptions(tableServiceUrl: string): TableServiceClientOptions {
    return { retryOptions: TABLE_RETRIES, allowInsecureConnection: tableServiceUrl.startsWith('http:') };
}
