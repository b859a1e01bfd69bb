import { BlobServiceClient } from '@azure/storage-blob';

import { testConnectionString } from './storage';

/**
 * Fast-forwards past the expiry of every mailbox lease in the container (`locks/<mailbox id>`, mailboxLocks.ts):
 * what a killed run's leases come to by themselves within a minute, without making a test wait that minute.
 */
export async function expireMailboxLeases(container: string): Promise<void> {
    const client = BlobServiceClient.fromConnectionString(testConnectionString()).getContainerClient(container);
    for await (const blob of client.listBlobsFlat({ prefix: 'locks/' })) {
        if (blob.properties.leaseState !== 'leased') continue;
        await client.getBlobClient(blob.name).getBlobLeaseClient().breakLease(0);
    }
}
