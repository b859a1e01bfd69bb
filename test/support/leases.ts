import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

import { type LeaseTiming, MailboxLocks } from '../../src/store/mailboxLocks';
import { testConnectionString } from './storage';

/**
 * The shortest lease Azure grants, renewed ten times a second: a lost lease is noticed within 100 ms, so a
 * test need not wait for the default renewal interval.
 */
export const QUICK_LEASES: LeaseTiming = { leaseSeconds: 15, renewEveryMs: 100 };

function containerClient(container: string, connectionString = testConnectionString()): ContainerClient {
    return BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
}

/** Mailbox locks on `container` with `timing`, to put in a BackupStorage in place of the default ones. */
export function mailboxLocks(container: string, timing: LeaseTiming = QUICK_LEASES): MailboxLocks {
    return new MailboxLocks(containerClient(container), timing);
}

/**
 * Fast-forwards past the expiry of every mailbox lease in the container (`locks/<mailbox id>`, mailboxLocks.ts):
 * what a killed run's leases come to by themselves within a lease length, without making a test wait for it.
 * `connectionString`: of a storage account other than the shared Azurite.
 */
export async function expireMailboxLeases(container: string, connectionString?: string): Promise<void> {
    const client = containerClient(container, connectionString);
    for await (const blob of client.listBlobsFlat({ prefix: 'locks/' })) {
        if (blob.properties.leaseState !== 'leased') continue;
        await client.getBlobClient(blob.name).getBlobLeaseClient().breakLease(0);
    }
}

/**
 * Takes a mailbox's lock away from whoever holds it and gives it to `runId`, as a second run would once the
 * holder's lease lapsed while it could not renew it. Resolves to a function that releases it again.
 */
export async function takeMailboxLock(
    container: string,
    mailboxId: string,
    runId: string,
): Promise<() => Promise<void>> {
    const blob = containerClient(container).getBlockBlobClient(`locks/${mailboxId}`);
    const leases = blob.getBlobLeaseClient();
    await leases.breakLease(0);
    await leases.acquireLease(15);
    await blob.setMetadata({ runid: runId }, { conditions: { leaseId: leases.leaseId } });
    return async () => {
        await leases.releaseLease();
    };
}
