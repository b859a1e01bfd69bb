import { describe, expect, it } from 'vitest';

import { forEachConcurrently, mapConcurrently } from '../../src/common/concurrency';

/** A promise the test settles by hand, so the order of events is the test's, not the clock's. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve = () => {};
    const promise = new Promise<void>((done) => (resolve = done));
    return { promise, resolve };
}

describe('running tasks side by side', () => {
    it('starts no item after a failure and rejects only once the items in flight have settled', async () => {
        const slow = deferred();
        const started: number[] = [];
        const settled: number[] = [];
        const run = forEachConcurrently([1, 2, 3, 4, 5], 2, async (item) => {
            started.push(item);
            if (item === 1) await slow.promise;
            if (item === 2) throw new Error('item 2 failed');
            settled.push(item);
        });
        let rejected = false;
        run.catch(() => (rejected = true));

        await new Promise((resolve) => setImmediate(resolve));
        expect(rejected).toBe(false); // item 1 is still running
        slow.resolve();

        await expect(run).rejects.toThrow('item 2 failed');
        expect(started).toEqual([1, 2]);
        expect(settled).toEqual([1]);
    });

    it('reads an async source one lane at a time, each item once, at most `limit` at once', async () => {
        let reading = 0;
        let running = 0;
        let mostRunning = 0;
        // Hand-written, unlike a generator, it would hand two lanes the same item if read by both at once.
        let nextItem = 0;
        const source: AsyncIterable<number> = {
            [Symbol.asyncIterator]: () => ({
                next: async (): Promise<IteratorResult<number>> => {
                    reading++;
                    expect(reading).toBe(1);
                    const item = nextItem;
                    await Promise.resolve();
                    nextItem = item + 1;
                    reading--;
                    return item < 20 ? { done: false, value: item } : { done: true, value: undefined };
                },
            }),
        };
        const seen: number[] = [];
        await forEachConcurrently(source, 3, async (item) => {
            running++;
            mostRunning = Math.max(mostRunning, running);
            for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
            seen.push(item);
            running--;
        });
        expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, item) => item));
        expect(mostRunning).toBe(3);
    });

    it('keeps results in input order whatever order the tasks finish in', async () => {
        const results = await mapConcurrently([30, 10, 20], 3, async (delay) => {
            for (let turn = 0; turn < delay; turn++) await Promise.resolve();
            return delay * 2;
        });
        expect(results).toEqual([60, 20, 40]);
    });
});
