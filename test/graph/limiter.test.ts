import { describe, expect, it } from 'vitest';

import { Limiter } from '../../src/graph/limiter';

/** Lets every promise that can settle now settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("a mailbox's request slots", () => {
    it('runs at most `capacity` tasks at once, and every task in the end', async () => {
        const limiter = new Limiter(2);
        let running = 0;
        let mostRunning = 0;
        const finishers: (() => void)[] = [];
        const tasks = [1, 2, 3, 4, 5].map((n) =>
            limiter.run(async () => {
                running++;
                mostRunning = Math.max(mostRunning, running);
                await new Promise<void>((resolve) => finishers.push(resolve));
                running--;
                return n;
            }),
        );

        for (let finished = 0; finished < 5; finished++) {
            await settle();
            expect(running).toBeLessThanOrEqual(2);
            finishers.shift()!();
        }

        expect(await Promise.all(tasks)).toEqual([1, 2, 3, 4, 5]);
        expect(mostRunning).toBe(2);
    });

    it('gives a freed slot to the longest waiter, not to a newcomer', async () => {
        const limiter = new Limiter(1);
        const order: string[] = [];
        const release = await limiter.acquire();
        const first = limiter.acquire().then((done) => (order.push('first waiter'), done));
        const second = limiter.acquire().then((done) => (order.push('second waiter'), done));

        release();
        const newcomer = limiter.acquire().then((done) => (order.push('newcomer'), done));
        (await first)();
        await settle();
        (await second)();
        (await newcomer)();

        expect(order).toEqual(['first waiter', 'second waiter', 'newcomer']);
    });

    it('frees one slot only, however often a release is called', async () => {
        const limiter = new Limiter(1);
        const release = await limiter.acquire();
        release();
        release();

        const held = await limiter.acquire();
        let gotSecond = false;
        void limiter.acquire().then(() => (gotSecond = true));
        await settle();

        expect(gotSecond).toBe(false);
        held();
        await settle();
        expect(gotSecond).toBe(true);
    });

    it('frees the slot of a task that failed', async () => {
        const limiter = new Limiter(1);

        await expect(limiter.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');

        expect(await limiter.run(() => Promise.resolve('next'))).toBe('next');
    });
});
