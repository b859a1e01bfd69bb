import type { Context, FetchOptions, Middleware } from '@microsoft/microsoft-graph-client';

import { isNetworkError } from './graphErrors';

const ATTEMPTS = 4;
const RETRIED_STATUS = new Set([500, 502]);

/**
 * Retries GETs whose connection dropped (reset, refused, timed out) or that got a 500/502.
 * The library's RetryHandler only handles 429/503/504 responses, and a dropped connection is
 * the commonest failure of a night-long backup. GETs are safe to repeat.
 */
export class TransientFailureHandler implements Middleware {
    private next?: Middleware;

    /** `pause` waits out the back-off between attempts: a timer unless the caller brings its own clock. */
    constructor(private readonly pause: (ms: number) => Promise<void> = sleep) {}

    setNext(next: Middleware): void {
        this.next = next;
    }

    async execute(context: Context): Promise<void> {
        const method = (context.options?.method ?? 'GET').toUpperCase();
        for (let attempt = 1; ; attempt++) {
            const last = attempt >= ATTEMPTS || method !== 'GET';
            try {
                await this.next?.execute(context);
                if (last || !context.response || !RETRIED_STATUS.has(context.response.status)) return;
                await context.response.body?.cancel();
            } catch (error) {
                if (last || !isNetworkError(error)) throw error;
            }
            await this.pause(250 * 2 ** attempt);
        }
    }
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * For the library's RetryHandler: whether a 429/503/504 may be answered by sending the request again. Graph
 * answers 429 and 503 before doing anything, but a 504 is a gateway that gave up waiting, so Exchange may have
 * carried the request out. A POST creates something each time it is sent: resending it after a 504 is how a
 * restore made a message twice. So a POST's 504 reaches the caller, who looks for what it meant to create
 * (src/graph/mailWriter.ts). GET, PUT, PATCH and DELETE give the same result when repeated.
 */
export function mayResend(
    _delay: number,
    _attempt: number,
    _request: unknown,
    options: FetchOptions | undefined,
    response: Response,
): boolean {
    return !(response.status === 504 && (options?.method ?? 'GET').toUpperCase() === 'POST');
}
