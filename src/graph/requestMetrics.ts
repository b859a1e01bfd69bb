import type { Context, Middleware, MiddlewareOptions } from '@microsoft/microsoft-graph-client';

/** What a run reports about its Graph traffic: every attempt that reached the wire, by kind. */
export class GraphMetrics {
    requests = 0;
    throttled = 0;
    readonly byKind = new Map<RequestKind, number>();

    record(kind: RequestKind, status: number | undefined): void {
        this.requests++;
        this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
        if (status === 429) this.throttled++;
    }
}

export type RequestKind =
    'users' | 'mailboxSettings' | 'folders' | 'delta' | 'value' | 'message' | 'attachments' | 'other';

/** Attached to a request with `.middlewareOptions([...])` so its attempts are counted for one mailbox. */
export class MetricsOption implements MiddlewareOptions {
    constructor(readonly metrics: GraphMetrics[]) {}
}

export function requestKind(url: string): RequestKind {
    const path = new URL(url).pathname;
    if (/\/messages\/delta$/i.test(path)) return 'delta';
    if (/\/messages(\('[^']*'\)|\/[^/]+)\/\$value$/i.test(path)) return 'value';
    if (/\/attachments/i.test(path)) return 'attachments';
    if (/\/(mailFolders|childFolders)/i.test(path)) return 'folders';
    if (/\/mailboxSettings$/i.test(path)) return 'mailboxSettings';
    if (/\/messages(\('[^']*'\)|\/[^/]+)$/i.test(path)) return 'message';
    if (/\/users\/?$/i.test(path)) return 'users';
    return 'other';
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
            if (option) {
                const request = context.request as unknown as string | { url: string };
                const url = typeof request === 'string' ? request : request.url;
                const kind = requestKind(url);
                for (const metrics of option.metrics) metrics.record(kind, context.response?.status);
            }
        }
    }
}
