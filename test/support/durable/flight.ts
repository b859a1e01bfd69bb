/**
 * Watches the backup orchestration's mailboxes in flight by wrapping the registered activities: a mailbox
 * is in flight from the claim that hands it out until its last slice finishes it (or its failure is
 * recorded). Counts claims per mailbox, the most in flight at once, and the time-weighted share of W the
 * run kept busy while mailboxes were still queued.
 */
import type { Registration } from './functionsApp';

type Handler = (...args: unknown[]) => Promise<unknown>;

export interface FlightRecorder {
    /** Times each mailbox (by id) was handed out by a claim. */
    readonly claims: Map<string, number>;
    /** Claims that found the queue empty. */
    emptyClaims: number;
    maxInFlight: number;
    /** Mean milliseconds a claim took (a worker's gap between two mailboxes), and a mailbox from claim to finish. */
    meanClaimMs(): number;
    meanMailboxMs(): number;
    /** Mean in flight ÷ W, from the first claim to the last that handed out a mailbox. */
    occupancy(workers: number): number;
    /** Puts the original handlers back. */
    restore(): void;
}

export function recordFlight(registrations: Map<string, Registration>): FlightRecorder {
    let inFlight = 0;
    let since = 0;
    let area = 0;
    let first: number | undefined;
    let lastClaim = 0;
    let areaAtLastClaim = 0;
    let claimMs = 0;
    let claimCalls = 0;
    let mailboxMs = 0;
    let mailboxesFinished = 0;
    const claimedAt = new Map<string, number>();
    const finish = (mailboxId: string) => {
        mailboxMs += performance.now() - (claimedAt.get(mailboxId) ?? performance.now());
        mailboxesFinished++;
        change(-1);
    };
    const change = (by: number) => {
        const now = performance.now();
        if (first !== undefined) area += inFlight * (now - since);
        first ??= now;
        since = now;
        inFlight += by;
        recorder.maxInFlight = Math.max(recorder.maxInFlight, inFlight);
    };
    const recorder: FlightRecorder = {
        claims: new Map(),
        emptyClaims: 0,
        maxInFlight: 0,
        meanClaimMs: () => claimMs / Math.max(1, claimCalls),
        meanMailboxMs: () => mailboxMs / Math.max(1, mailboxesFinished),
        occupancy: (workers) =>
            first === undefined || lastClaim === first ? 1 : areaAtLastClaim / (workers * (lastClaim - first)),
        restore: () => originals.forEach((handler, name) => (registrations.get(name)!.options.handler = handler)),
    };
    const originals = new Map<string, Handler>();
    const wrap = (name: string, after: (input: unknown, result: unknown) => void) => {
        const registration = registrations.get(name)!;
        const original = registration.options.handler;
        originals.set(name, original);
        registration.options.handler = async (input: unknown, ...rest: unknown[]) => {
            const started = performance.now();
            const result = await original(input, ...rest);
            if (name === 'claimQueuedMailbox') {
                claimMs += performance.now() - started;
                claimCalls++;
            }
            after(input, result);
            return result;
        };
    };
    wrap('claimQueuedMailbox', (_input, result) => {
        const mailbox = result as { id: string } | null;
        if (!mailbox) {
            recorder.emptyClaims++;
            return;
        }
        recorder.claims.set(mailbox.id, (recorder.claims.get(mailbox.id) ?? 0) + 1);
        claimedAt.set(mailbox.id, performance.now());
        change(+1);
        lastClaim = since;
        areaAtLastClaim = area;
    });
    const mailboxOf = (input: unknown) => (input as { mailbox: { id: string } }).mailbox.id;
    wrap('backUpMailboxSlice', (input, result) => {
        if ((result as { status: string }).status !== 'incomplete') finish(mailboxOf(input));
    });
    wrap('recordMailboxFailure', (input) => finish(mailboxOf(input)));
    return recorder;
}
