/**
 * A counting semaphore. Exchange allows 4 concurrent requests per app and mailbox
 * (MailboxConcurrency; docs/graph-behaviour.md, "Throttling"), so every request to one mailbox takes a slot here first.
 */
export class Limiter {
    private active = 0;
    private readonly waiting: (() => void)[] = [];

    constructor(readonly capacity: number) {}

    async acquire(): Promise<() => void> {
        if (this.active >= this.capacity) {
            await new Promise<void>((resolve) => this.waiting.push(resolve));
        } else {
            this.active++;
        }
        let released = false;
        return () => {
            if (released) return;
            released = true;
            const next = this.waiting.shift();
            // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
            if (next) next();
            else this.active--;
        };
    }

    async run<T>(task: () => Promise<T>): Promise<T> {
        const release = await this.acquire();
        try {
            return await task();
        } finally {
            release();
        }
    }
}

/**
 * Runs `worker` over `items` with at most `concurrency` at a time. After the first failure no new
 * item is started, and it rejects with that failure only once the items in flight have settled, so
 * nothing keeps working on behalf of a caller that has already given up.
 */
export async function forEachConcurrently<T>(
    items: Iterable<T>,
    concurrency: number,
    worker: (item: T) => Promise<void>,
): Promise<void> {
    const iterator = items[Symbol.iterator]();
    let failure: { error: unknown } | undefined;
    const lanes = Array.from({ length: Math.max(1, concurrency) }, async () => {
        for (let next = iterator.next(); !next.done && !failure; next = iterator.next()) {
            try {
                await worker(next.value);
            } catch (error) {
                failure ??= { error };
            }
        }
    });
    await Promise.all(lanes);
    if (failure) throw failure.error;
}
