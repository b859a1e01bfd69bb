/**
 * A counting semaphore. Exchange allows 4 concurrent requests per app and mailbox
 * (MailboxConcurrency, graph-facts §9), so every request to one mailbox takes a slot here first.
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

/** Runs `worker` over `items` with at most `concurrency` at a time; resolves when all are done. */
export async function forEachConcurrently<T>(
    items: Iterable<T>,
    concurrency: number,
    worker: (item: T) => Promise<void>,
): Promise<void> {
    const iterator = items[Symbol.iterator]();
    const lanes = Array.from({ length: Math.max(1, concurrency) }, async () => {
        for (let next = iterator.next(); !next.done; next = iterator.next()) {
            await worker(next.value);
        }
    });
    await Promise.all(lanes);
}
