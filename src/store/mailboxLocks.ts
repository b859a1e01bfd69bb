import type { ContainerClient } from '@azure/storage-blob';

import { hasStatus } from './storageErrors';

/** A lease lasts this long unless renewed; a crashed holder frees the mailbox within it. */
const LEASE_SECONDS = 60;
const RENEW_EVERY_MS = 20_000;

export interface MailboxLease {
    release(): Promise<void>;
}

export type LockResult = { acquired: true; lease: MailboxLease } | { acquired: false; heldBy: string };

/**
 * One backup at a time per mailbox, across processes and Functions instances: a blob lease on
 * `locks/<mailbox id>`. A timer run overlapping an on-demand one is refused for that mailbox
 * instead of interleaving its writes. Leases expire by themselves, so a killed process never
 * leaves a mailbox locked for longer than LEASE_SECONDS.
 */
export class MailboxLocks {
    constructor(private readonly container: ContainerClient) {}

    async acquire(mailboxId: string, runId: string): Promise<LockResult> {
        const blob = this.container.getBlockBlobClient(`locks/${mailboxId}`);
        try {
            await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
        } catch (error) {
            // 409: the lock blob exists already; 412: it exists and is leased right now.
            if (!hasStatus(error, 409) && !hasStatus(error, 412)) throw error;
        }
        const leases = blob.getBlobLeaseClient();
        try {
            await leases.acquireLease(LEASE_SECONDS);
        } catch (error) {
            if (!hasStatus(error, 409)) throw error;
            const properties = await blob.getProperties().catch(() => undefined);
            return { acquired: false, heldBy: properties?.metadata?.runid ?? 'another run' };
        }
        await blob.setMetadata({ runid: runId }, { conditions: { leaseId: leases.leaseId } });
        const renewal = setInterval(() => void leases.renewLease().catch(() => undefined), RENEW_EVERY_MS);
        renewal.unref();
        return {
            acquired: true,
            lease: {
                release: async () => {
                    clearInterval(renewal);
                    await leases.releaseLease().catch(() => undefined);
                },
            },
        };
    }
}
