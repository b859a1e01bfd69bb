import type { Context, Middleware, MiddlewareOptions } from '@microsoft/microsoft-graph-client';

/** What a run reports about its Graph traffic: every attempt that reached the wire, and how many were throttled. */
export class GraphMetrics {
    requests = 0;
    throttled = 0;

    record(status: number | undefined): void {
        this.requests++;
        if (status === 429) this.throttled++;
    }
}

/** Attached to a request with `.middlewareOptions([...])` so its attempts are counted for one mailbox. */
export class MetricsOption implements MiddlewareOptions {
    constructor(readonly metrics: GraphMetrics[]) {}
}

/** Sits below the retry handlers, so each retry and each 429 is counted. */
export class RequestMetricsHandler implements Middleware {
    private next?: Middleware;

    setNext(next: Middleware): void {
        this.next = next;
    }

    async execute(context: Context): Promise<void> {
        const option = context.middlewareControl?.getMiddlewareOptions(MetricsOption) as MetricsOption | undefined;
        try {
            await this.next?.execute(context);
        } finally {
            for (const metrics of option?.metrics ?? []) metrics.record(context.response?.status);
        }
    }
}
