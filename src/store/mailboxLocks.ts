import type { BlobLeaseClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';

import { BackupError } from '../common/errors';
import { hasStatus } from './storageErrors';

/**
 * How long a lock lasts unless renewed, and how often its holder renews it. Azure accepts leases of 15 to
 * 60 seconds (https://learn.microsoft.com/rest/api/storageservices/lease-blob).
 */
export interface LeaseTiming {
    leaseSeconds: number;
    renewEveryMs: number;
}

/**
 * A killed run's lock lapses 15 s after its last renewal, so a rerun right after `kill -9` waits at most
 * that long. A holder renews every 5 s and stops writing once 10 s passed without a renewal: 5 s before
 * its lease could lapse and another run take the mailbox.
 */
export const DEFAULT_LEASE_TIMING: LeaseTiming = { leaseSeconds: 15, renewEveryMs: 5_000 };

/** How often a run waiting for a lock looks at it again. */
const WAIT_POLL_MS = 1_000;

/** The holder of a mailbox's lock could not renew it, or another run took it: nothing more may be written. */
export class LeaseLostError extends BackupError {}

export interface MailboxLease {
    /** Aborted, with a LeaseLostError as its reason, once the lease can no longer be counted on. */
    readonly lost: AbortSignal;
    /** Runs `write` if the lease is still held; otherwise rejects with the LeaseLostError and writes nothing. */
    whileHeld<T>(write: () => Promise<T>): Promise<T>;
    release(): Promise<void>;
}

export type LockResult = { acquired: true; lease: MailboxLease } | { acquired: false; heldBy: string };

/**
 * One backup at a time per mailbox, across processes and Functions instances: a blob lease on
 * `locks/<mailbox id>` (the holder's run id in its metadata), renewed while the holder works.
 *
 * A lock found held is waited for, at most one lease length: a lease that lapses in that time was left
 * by a run that stopped without releasing it (killed, crashed), and is taken over; a lease still held
 * after it, or released by its holder meanwhile, belongs to a run that is alive, and the mailbox is left
 * to that run. The holder's side is MailboxLease: it stops as soon as it cannot be sure it holds the lock.
 */
export class MailboxLocks {
    /**
     * Runs seen keeping a lock, by when: for one lease length after, their other mailboxes are left to them
     * without waiting again (a run that died since then has its leases lapse within that time anyway).
     */
    private readonly liveRuns = new Map<string, number>();

    constructor(
        private readonly container: ContainerClient,
        private readonly timing: LeaseTiming = DEFAULT_LEASE_TIMING,
    ) {}

    /** `note` hears what the wait is for, and that a lock was taken over. */
    async acquire(mailboxId: string, runId: string, note?: (text: string) => void): Promise<LockResult> {
        const blob = this.container.getBlockBlobClient(`locks/${mailboxId}`);
        try {
            await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
        } catch (error) {
            // 409: the lock blob exists already; 412: it exists and is leased right now.
            if (!hasStatus(error, 409) && !hasStatus(error, 412)) throw error;
        }
        const leases = blob.getBlobLeaseClient();
        if (await this.tryLease(leases)) return this.hold(blob, leases, runId);
        const holder = (await lockState(blob)).runId;
        if (Date.now() - (this.liveRuns.get(holder) ?? -Infinity) < this.timing.leaseSeconds * 1000) {
            return { acquired: false, heldBy: holder };
        }
        note?.(
            `waiting for the lock of run ${holder}: if that run stopped without releasing it, it lapses within ` +
                `${this.timing.leaseSeconds} s and this run takes over; a run still working keeps it`,
        );
        const waitUntil = Date.now() + this.timing.leaseSeconds * 1000 + WAIT_POLL_MS;
        for (;;) {
            await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
            const { state, runId: current } = await lockState(blob);
            if (state === 'expired' || state === 'broken') {
                // Lapsed: its holder stopped renewing. Another waiter may take it first; that one is alive.
                if (!(await this.tryLease(leases))) return { acquired: false, heldBy: 'another run' };
                note?.(`took over the lock of run ${holder}, which stopped without releasing it`);
                return this.hold(blob, leases, runId);
            }
            // Released by its holder, taken by a new one, or renewed for longer than a lease lasts: alive.
            const alive = state === 'available' || (state === 'leased' && current !== holder);
            if (alive || Date.now() >= waitUntil) {
                this.liveRuns.set(holder, Date.now());
                return { acquired: false, heldBy: holder };
            }
        }
    }

    /** True when the lease is ours; false when another holds it (409). */
    private async tryLease(leases: BlobLeaseClient): Promise<boolean> {
        try {
            await leases.acquireLease(this.timing.leaseSeconds);
            return true;
        } catch (error) {
            if (hasStatus(error, 409)) return false;
            throw error;
        }
    }

    private async hold(blob: BlockBlobClient, leases: BlobLeaseClient, runId: string): Promise<LockResult> {
        const acquiredAt = startClock();
        try {
            await blob.setMetadata({ runid: runId }, { conditions: { leaseId: leases.leaseId } });
        } catch (error) {
            // Not ours after all (it lapsed before it was marked, on a starved machine): let it go, say why.
            await leases.releaseLease().catch(() => undefined);
            throw error;
        }
        return { acquired: true, lease: new HeldLease(leases, this.timing, acquiredAt) };
    }
}

/** The lock's lease state and the run id its holder wrote; 'another run' when that cannot be read. */
async function lockState(blob: BlockBlobClient): Promise<{ state: string; runId: string }> {
    const properties = await blob.getProperties().catch(() => undefined);
    return { state: properties?.leaseState ?? 'unknown', runId: properties?.metadata?.runid ?? 'another run' };
}

/**
 * A lease this process holds. It renews every `renewEveryMs`; a renewal the service refuses (the lease
 * was broken, lapsed, or taken) loses it at once, and renewals that fail otherwise (network, outage)
 * lose it once `leaseSeconds − renewEveryMs` passed since the last one that succeeded, timed from when
 * that request was sent: a margin of one renewal interval before the lease could lapse. Once lost, every
 * write through whileHeld is refused, and `lost` tells the backup to stop.
 */
class HeldLease implements MailboxLease {
    private readonly controller = new AbortController();
    private readonly renewal: NodeJS.Timeout;
    private confirmed: Clock;
    private renewing = false;

    constructor(
        private readonly leases: BlobLeaseClient,
        private readonly timing: LeaseTiming,
        acquiredAt: Clock,
    ) {
        this.confirmed = acquiredAt;
        this.renewal = setInterval(() => void this.renew(), timing.renewEveryMs);
        this.renewal.unref();
    }

    get lost(): AbortSignal {
        return this.controller.signal;
    }

    whileHeld<T>(write: () => Promise<T>): Promise<T> {
        this.checkAge();
        if (this.lost.aborted) return Promise.reject(this.lost.reason as Error);
        return write();
    }

    async release(): Promise<void> {
        clearInterval(this.renewal);
        if (!this.lost.aborted) await this.leases.releaseLease().catch(() => undefined);
    }

    private async renew(): Promise<void> {
        this.checkAge();
        if (this.renewing || this.lost.aborted) return;
        this.renewing = true;
        const sent = startClock();
        try {
            await this.leases.renewLease();
            this.confirmed = sent;
        } catch (error) {
            if (hasStatus(error, 409) || hasStatus(error, 412)) {
                const code = (error as { code?: string }).code ?? 'refused';
                this.lose(`the storage service refused to renew it (${code}): another run may hold it now`);
            }
        } finally {
            this.renewing = false;
        }
    }

    private checkAge(): void {
        const limitMs = this.timing.leaseSeconds * 1000 - this.timing.renewEveryMs;
        const ageMs = elapsedMs(this.confirmed);
        if (ageMs >= limitMs) this.lose(`it could not be renewed for ${Math.round(ageMs / 1000)} s`);
    }

    private lose(why: string): void {
        if (this.lost.aborted) return;
        clearInterval(this.renewal);
        this.controller.abort(
            new LeaseLostError(
                `the lock on this mailbox was lost (${why}); the backup of the mailbox stopped and wrote nothing ` +
                    'more, and the next run continues where it stopped',
            ),
        );
    }
}

/**
 * When something happened, by two clocks: the monotonic one does not jump with the wall clock, and the
 * wall clock keeps counting while the machine sleeps (Linux's monotonic clock does not). The longer of
 * the two is how long ago it was.
 */
interface Clock {
    wall: number;
    monotonic: number;
}

function startClock(): Clock {
    return { wall: Date.now(), monotonic: performance.now() };
}

function elapsedMs(since: Clock): number {
    return Math.max(Date.now() - since.wall, performance.now() - since.monotonic);
}

type AsyncMethodOf<T> = {
    [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T];

/**
 * `target` with the methods named in `writes` refused (rejected with the LeaseLostError) once the lease
 * is lost; every other member works as before. How a mailbox's backup writes only under its lock.
 */
export function writesUnderLease<T extends object>(
    target: T,
    lease: MailboxLease,
    writes: readonly AsyncMethodOf<T>[],
): T {
    const guarded = new Set<PropertyKey>(writes);
    return new Proxy(target, {
        get(object, property) {
            const member: unknown = Reflect.get(object, property, object);
            if (typeof member !== 'function') return member;
            const method = member as (...args: unknown[]) => unknown;
            if (!guarded.has(property)) return method.bind(object);
            return (...args: unknown[]) => lease.whileHeld(() => method.apply(object, args) as Promise<unknown>);
        },
    });
}
