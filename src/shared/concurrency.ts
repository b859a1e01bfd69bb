/**
 * Runs `task` over `items` with at most `limit` running at once, and returns the results in input order.
 * Every task runs even after one fails, so the caller knows the outcome of each before the first error is
 * thrown: a failed write batch must never leave a sibling batch's outcome unknown.
 */
export async function mapConcurrently<T, R>(
    items: readonly T[],
    limit: number,
    task: (item: T) => Promise<R>,
): Promise<R[]> {
    const results = new Array<R>(items.length);
    const failures: unknown[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const index = next++;
            try {
                results[index] = await task(items[index] as T);
            } catch (error) {
                failures.push(error);
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    if (failures.length > 0) throw failures[0];
    return results;
}
