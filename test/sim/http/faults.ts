import type { RequestKind } from '../model/counters';

export interface FaultSpec {
    /** Only requests counted under this kind; any kind when absent. */
    kind?: RequestKind;
    /** Only requests to this mailbox (UPN, case-insensitive). */
    mailbox?: string;
    /** Answer with this status in Graph's (or, for token requests, Entra's) error shape. */
    status?: 429 | 500 | 502 | 503 | 504;
    retryAfterSec?: number;
    /**
     * Carry the request out first, then answer with `status` instead of its result: a gateway timing out (504)
     * after Exchange has acted, so the client cannot tell whether its write happened.
     */
    afterHandling?: boolean;
    /** Only requests whose URL path matches. */
    path?: RegExp;
    /** Drop the connection before any response, or part-way through the body. */
    reset?: 'beforeResponse' | 'midBody';
    /** How many matching requests it hits; default 1. */
    times?: number;
    /** Chance that a matching request is hit; default 1. */
    probability?: number;
}

/** Scripted failures: each matching request consumes one hit of the first fault that fires. */
export class Faults {
    private readonly pending: { spec: FaultSpec; left: number }[] = [];

    add(spec: FaultSpec): void {
        if (spec.status === undefined && spec.reset === undefined) throw new Error('a fault needs a status or a reset');
        this.pending.push({ spec, left: spec.times ?? 1 });
    }

    clear(): void {
        this.pending.length = 0;
    }

    /** The fault this request suffers, if any. */
    take(kind: RequestKind, mailbox: string | undefined, path = ''): FaultSpec | undefined {
        for (const [index, fault] of this.pending.entries()) {
            const { spec } = fault;
            if (spec.kind !== undefined && spec.kind !== kind) continue;
            if (spec.path !== undefined && !spec.path.test(path)) continue;
            if (spec.mailbox !== undefined && spec.mailbox.toLowerCase() !== mailbox?.toLowerCase()) continue;
            if (spec.probability !== undefined && Math.random() >= spec.probability) continue;
            if (--fault.left <= 0) this.pending.splice(index, 1);
            return spec;
        }
        return undefined;
    }
}
