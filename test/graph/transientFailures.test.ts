import { Client, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { mayResend, TransientFailureHandler } from '../../src/graph/transientFailures';

type Answer = number | 'drop' | 'timeout' | 'refused';

/** A client whose wire answers attempt after attempt from `answers` (200 once they run out). */
function clientOver(
    answers: Answer[],
    handler = new TransientFailureHandler(),
): { client: Client; attempts: () => number } {
    let attempts = 0;
    const wire: Middleware = {
        execute: (context: Context) => {
            attempts++;
            const answer = answers.shift() ?? 200;
            if (answer === 'drop') return Promise.reject(Object.assign(new Error('read'), { code: 'ECONNRESET' }));
            if (answer === 'timeout')
                return Promise.reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
            if (answer === 'refused') return Promise.reject(new Error('the request was malformed'));
            context.response = Response.json(answer === 200 ? { value: 'ok' } : { error: { code: 'x' } }, {
                status: answer,
            });
            return Promise.resolve();
        },
        setNext: () => {},
    };
    return {
        client: Client.initWithMiddleware({ middleware: [handler, wire] }),
        attempts: () => attempts,
    };
}

/** Settles `request` with the back-off between attempts played out on the fake clock. */
async function outcomeOf<T>(request: Promise<T>): Promise<{ value?: T; error?: unknown }> {
    const outcome = request.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
    );
    await vi.runAllTimersAsync();
    return outcome;
}

describe('retrying a request whose connection dropped or that got a 500/502', () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it('sends a GET again after a 502 or a dropped connection, and hands back the answer that came', async () => {
        const { client, attempts } = clientOver([502, 'drop', 500]);

        const { value } = await outcomeOf(client.api('/me/messages').get() as Promise<unknown>);

        expect(value).toEqual({ value: 'ok' });
        expect(attempts()).toBe(4);
    });

    it('waits before sending again rather than hammering a failing service', async () => {
        const { client, attempts } = clientOver([502]);

        const request = client.api('/me/messages').get();
        await vi.advanceTimersByTimeAsync(0);
        expect(attempts()).toBe(1);

        expect((await outcomeOf(request)).value).toEqual({ value: 'ok' });
        expect(attempts()).toBe(2);
    });

    it('waits longer after each failed attempt, on the clock it is given', async () => {
        const waits: number[] = [];
        const handler = new TransientFailureHandler((ms) => Promise.resolve(void waits.push(ms)));
        const { client } = clientOver([502, 'drop', 500], handler);

        await client.api('/me/messages').get();

        expect(waits).toHaveLength(3);
        expect(waits[1]).toBeGreaterThan(waits[0]!);
        expect(waits[2]).toBeGreaterThan(waits[1]!);
    });

    it('gives up after four attempts with the last failure', async () => {
        const { client, attempts } = clientOver(['drop', 'drop', 'drop', 'timeout', 200]);

        const { error } = await outcomeOf(client.api('/me/messages').get());

        expect(error).toMatchObject({ message: 'timed out' });
        expect(attempts()).toBe(4);
    });

    it('hands back the fourth 500 as the answer', async () => {
        const { client, attempts } = clientOver([500, 500, 500, 500, 200]);

        const { error } = await outcomeOf(client.api('/me/messages').get());

        expect(error).toMatchObject({ statusCode: 500 });
        expect(attempts()).toBe(4);
    });

    it('never sends a POST twice: Exchange may have made the item already', async () => {
        for (const failure of [502, 'drop'] as const) {
            const { client, attempts } = clientOver([failure]);

            const { error } = await outcomeOf(client.api('/me/messages').post({ subject: 'once' }));

            expect(error, String(failure)).toBeDefined();
            expect(attempts(), String(failure)).toBe(1);
        }
    });

    it('does not repeat a request that failed for a reason a retry cannot mend', async () => {
        for (const failure of [400, 404, 'refused'] as const) {
            const { client, attempts } = clientOver([failure]);

            const { error } = await outcomeOf(client.api('/me/messages').get());

            expect(error, String(failure)).toBeDefined();
            expect(attempts(), String(failure)).toBe(1);
        }
    });
});

describe("the library's retries of 429, 503 and 504", () => {
    const answer = (status: number) => new Response(null, { status });

    it('resend anything throttled or unavailable: Graph did nothing with it', () => {
        for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
            expect(mayResend(0, 1, undefined, { method }, answer(429)), method).toBe(true);
            expect(mayResend(0, 1, undefined, { method }, answer(503)), method).toBe(true);
        }
    });

    it('resend no POST answered 504, which Exchange may have carried out', () => {
        expect(mayResend(0, 1, undefined, { method: 'POST' }, answer(504))).toBe(false);
        expect(mayResend(0, 1, undefined, { method: 'post' }, answer(504))).toBe(false);
        expect(mayResend(0, 1, undefined, { method: 'GET' }, answer(504))).toBe(true);
        expect(mayResend(0, 1, undefined, undefined, answer(504))).toBe(true);
        expect(mayResend(0, 1, undefined, { method: 'PUT' }, answer(504))).toBe(true);
    });
});
