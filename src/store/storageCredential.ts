import { DefaultAzureCredential } from '@azure/identity';

import type { StorageSettings } from './storage';

export interface StorageLocation {
    /** Empty when the CLI should start its embedded Azurite, or when the service URLs below are used. */
    connectionString: string;
    tablePrefix: string;
    container: string;
    /** An identity-based connection (no account key): the services' URLs and, for a user-assigned identity, its client id. */
    identity?: { blobServiceUrl: string; tableServiceUrl: string; clientId?: string };
}

/**
 * Turns configured storage into what openStorage takes. An identity-based connection signs in with
 * DefaultAzureCredential: the Function App's managed identity on Azure (the user-assigned one named by
 * its client id), a developer's `az login` on their machine — no account key in either case.
 */
export function storageSettings(
    location: StorageLocation,
    connectionString = location.connectionString,
): StorageSettings {
    const { identity, tablePrefix, container } = location;
    if (!identity) return { connectionString, tablePrefix, container };
    return {
        connectionString: '',
        tablePrefix,
        container,
        blobServiceUrl: identity.blobServiceUrl,
        tableServiceUrl: identity.tableServiceUrl,
        credential: new DefaultAzureCredential(
            identity.clientId ? { managedIdentityClientId: identity.clientId } : undefined,
        ),
    };
}
