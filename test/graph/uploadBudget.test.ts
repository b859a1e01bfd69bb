import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { UploadBudget } from '../../src/graph/uploadBudget';

const WINDOW_MS = 60_000;

/** Whether `reservation` is granted once everything due by now has run. */
async function granted(reservation: Promise<void>): Promise<boolean> {
    let done = false;
    void reservation.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return done;
}

describe("a mailbox's upload budget", () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it('lets writes through at once while their bytes fit in the window', async () => {
        const budget = new UploadBudget(1_000, WINDOW_MS);

        expect(await granted(budget.reserve(400))).toBe(true);
        expect(await granted(budget.reserve(600))).toBe(true);
    });

    it('holds a write that would overrun the window until the oldest bytes have left it', async () => {
        const budget = new UploadBudget(1_000, WINDOW_MS);
        await budget.reserve(700);
        vi.advanceTimersByTime(10_000);
        await budget.reserve(300);

        const third = budget.reserve(200);
        expect(await granted(third)).toBe(false);
        await vi.advanceTimersByTimeAsync(WINDOW_MS - 10_001);
        expect(await granted(third)).toBe(false);

        await vi.advanceTimersByTimeAsync(1);
        expect(await granted(third)).toBe(true);
        // The 300 bytes are still in the window beside the 200: 600 more would overrun it again.
        expect(await granted(budget.reserve(600))).toBe(false);
    });

    it('sends a write larger than the whole budget once the window is empty, rather than never', async () => {
        const budget = new UploadBudget(1_000, WINDOW_MS);
        expect(await granted(budget.reserve(5_000))).toBe(true);

        const next = budget.reserve(5_000);
        expect(await granted(next)).toBe(false);
        await vi.advanceTimersByTimeAsync(WINDOW_MS);
        expect(await granted(next)).toBe(true);
    });
});
