import type { Counters } from '../model/counters';
import { GraphError } from './graphError';

export interface ThrottleLimits {
    mailboxConcurrency: number;
    requestsPerWindow: number;
    windowMs: number;
    /**
     * Bytes of request bodies (POST, PUT) per mailbox and upload window: 150 MB per 5 minutes (docs/graph-behaviour.md,
     * "Throttling").
     */
    uploadBytesPerWindow: number;
    uploadWindowMs: number;
}

/**
 * Outlook's per app+mailbox limits (docs/graph-behaviour.md, "Throttling"): a few concurrent requests, and a request
 * budget per window. A slot is held until the response is finished, a streamed $value included.
 */
export class MailboxThrottle {
    private readonly active = new Map<string, number>();
    private readonly windows = new Map<string, { start: number; used: number }>();
    private readonly uploads = new Map<string, { at: number; bytes: number }[]>();

    constructor(
        private readonly limits: ThrottleLimits,
        private readonly counters: Counters,
    ) {}

    /** Takes a slot for the mailbox or throws the 429 Graph would send; call the returned function to release. */
    acquire(mailbox: string): () => void {
        const key = mailbox.toLowerCase();
        const active = this.active.get(key) ?? 0;
        if (active >= this.limits.mailboxConcurrency) {
            throw new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', {
                'Retry-After': '1',
            });
        }
        const now = Date.now();
        let window = this.windows.get(key);
        if (!window || now - window.start >= this.limits.windowMs) {
            window = { start: now, used: 0 };
            this.windows.set(key, window);
        }
        if (window.used >= this.limits.requestsPerWindow) {
            const seconds = Math.max(0.001, (window.start + this.limits.windowMs - now) / 1000);
            throw tooManyRequests(seconds);
        }
        window.used++;
        this.active.set(key, active + 1);
        if (active + 1 > (this.counters.maxConcurrentByMailbox.get(mailbox) ?? 0)) {
            this.counters.maxConcurrentByMailbox.set(mailbox, active + 1);
        }
        let released = false;
        return () => {
            if (released) return;
            released = true;
            this.active.set(key, (this.active.get(key) ?? 1) - 1);
        };
    }

    /**
     * Counts a write's body against the mailbox's upload budget (a sliding window), or throws the 429 Graph sends
     * once the budget is spent, with Retry-After saying when enough of it is free again.
     */
    chargeUpload(mailbox: string, bytes: number): void {
        const key = mailbox.toLowerCase();
        const now = Date.now();
        const recent = (this.uploads.get(key) ?? []).filter((u) => now - u.at < this.limits.uploadWindowMs);
        const used = recent.reduce((sum, u) => sum + u.bytes, 0);
        if (used + bytes > this.limits.uploadBytesPerWindow && recent.length > 0) {
            let freed = used;
            const until = recent.find((u) => (freed -= u.bytes) + bytes <= this.limits.uploadBytesPerWindow);
            const seconds = Math.max(0.001, ((until ?? recent[0])!.at + this.limits.uploadWindowMs - now) / 1000);
            this.uploads.set(key, recent);
            throw tooManyRequests(seconds);
        }
        recent.push({ at: now, bytes });
        this.uploads.set(key, recent);
    }
}

/** Graph's 429, with the seconds to wait (docs/graph-behaviour.md, "Throttling"). */
function tooManyRequests(seconds: number): GraphError {
    return new GraphError(
        429,
        'TooManyRequests',
        'Please retry again later.',
        { 'Retry-After': seconds.toFixed(3) },
        { code: '429', message: 'Please retry after', status: '429' },
    );
}
