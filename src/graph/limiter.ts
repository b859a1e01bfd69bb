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
