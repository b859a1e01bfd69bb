/**
 * Runs `task` over `items` with at most `limit` running at once. The one failure policy of the code base:
 * after the first failure no new item is started, and the call rejects with that failure only once every
 * task already started has settled, so nothing keeps working on behalf of a caller that has given up, and
 * nothing a caller cleans up after a failure is still in use. A source shared by the lanes is read by one
 * lane at a time.
 */
export async function forEachConcurrently<T>(
    items: Iterable<T> | AsyncIterable<T>,
    limit: number,
    task: (item: T) => Promise<void>,
): Promise<void> {
    const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
    let failure: { error: unknown } | undefined;
    let reading = Promise.resolve();
    // Async iterators need not allow a second next() before the first settles: the lanes take turns.
    const take = (): Promise<IteratorResult<T>> => {
        const next = reading.then(() => iterator.next());
        reading = next.then(
            () => undefined,
            () => undefined,
        );
        return next;
    };
    const lane = async (): Promise<void> => {
        while (!failure) {
            try {
                const next = await take();
                if (next.done || failure) return;
                await task(next.value);
            } catch (error) {
                failure ??= { error };
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, limit) }, lane));
    if (failure) throw failure.error;
}

/** forEachConcurrently that keeps each task's result, in input order. */
export async function mapConcurrently<T, R>(
    items: readonly T[],
    limit: number,
    task: (item: T) => Promise<R>,
): Promise<R[]> {
    const results = new Array<R>(items.length);
    await forEachConcurrently(items.keys(), limit, async (index) => {
        results[index] = await task(items[index] as T);
    });
    return results;
}
