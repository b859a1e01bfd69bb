import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import { type Client, GraphError, type MiddlewareOptions, ResponseType } from '@microsoft/microsoft-graph-client';

import { StreamedBody, streamedBody } from './httpTransport';
import { Limiter } from './limiter';
import { type GraphMetrics, MetricsOption } from './requestMetrics';

/** One page of a Graph collection. */
export interface Page<T> {
    value: T[];
    '@odata.nextLink'?: string;
    '@odata.deltaLink'?: string;
}

/** Exchange's per-app, per-mailbox concurrency limit (docs/graph-behaviour.md, "Throttling"). */
export const MAILBOX_CONCURRENCY = 4;

/**
 * Microsoft Graph as seen by the backup of one mailbox: every request asks for immutable ids
 * (so a moved message keeps its id: docs/graph-behaviour.md, "Immutable ids"), takes one of the mailbox's four slots,
 * and is counted against the mailbox's metrics. A 429 therefore slows only this mailbox.
 */
export class MailboxGraph {
    private readonly limiter: Limiter;
    private readonly metricsOption: MetricsOption;

    constructor(
        readonly client: Client,
        readonly mailboxId: string,
        metrics: GraphMetrics[],
        concurrency = MAILBOX_CONCURRENCY,
    ) {
        this.limiter = new Limiter(concurrency);
        this.metricsOption = new MetricsOption(metrics);
    }

    /** Path of the mailbox's user, for building request paths. */
    get userPath(): string {
        return `/users/${encodeURIComponent(this.mailboxId)}`;
    }

    /**
     * A JSON response. A connection dropped while its body was being read is retried inside the client, like any other
     * dropped connection: the transport reads the body before the middleware returns (httpTransport.ts).
     */
    get<T>(pathOrUrl: string, headers: Record<string, string> = {}): Promise<T> {
        return this.limiter.run(() => this.request(pathOrUrl, headers).get() as Promise<T>);
    }

    /**
     * Pages of a collection, following `@odata.nextLink` verbatim until the last page (which may
     * carry a deltaLink). Not the client's PageIterator: it calls back synchronously per item and
     * hides the nextLink, and we checkpoint that link so an interrupted folder resumes where it was.
     */
    async *pages<T>(firstUrl: string, headers: Record<string, string> = {}): AsyncGenerator<Page<T>> {
        for (let url: string | undefined = firstUrl; url;) {
            const page: Page<T> = await this.get<Page<T>>(url, headers);
            yield page;
            url = page['@odata.nextLink'];
        }
    }

    /**
     * A response body as a Node stream. The mailbox slot is held until the body has been read to
     * the end (or failed), because Exchange counts a download in progress against the limit.
     */
    async openStream(path: string): Promise<Readable> {
        const release = await this.limiter.acquire();
        try {
            const request = this.request(path, {}, undefined, [new StreamedBody()]);
            const response = (await request.responseType(ResponseType.RAW).get()) as Response;
            const body = streamedBody(response);
            if (!response.ok || (!body && !response.body)) throw await toGraphError(response);
            const stream = body ?? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
            stream.once('close', release);
            return stream;
        } catch (error) {
            release();
            throw error;
        }
    }

    /**
     * A JSON write. Not repeated here when its connection drops: Exchange may already have made the item, and
     * a second one would be a duplicate. The client's RetryHandler still retries 429/503, which Graph answers
     * before doing anything, but not a 504 (graphClient.ts): the caller looks for what it meant to create.
     * `version` 'beta': for a property only beta documents.
     */
    post<T>(path: string, body: unknown, version?: 'beta'): Promise<T> {
        return this.limiter.run(() => this.request(path, {}, version).post(body) as Promise<T>);
    }

    async delete(path: string): Promise<void> {
        await this.limiter.run(() => this.request(path, {}).delete() as Promise<unknown>);
    }

    /** Runs `task` holding one of the mailbox's slots: requests made outside this class (an upload session's PUTs). */
    withSlot<T>(task: () => Promise<T>): Promise<T> {
        return this.limiter.run(task);
    }

    private request(
        pathOrUrl: string,
        headers: Record<string, string>,
        version?: 'beta',
        options: MiddlewareOptions[] = [],
    ) {
        const request = this.client.api(pathOrUrl);
        if (version) request.version(version);
        return request
            .header('Prefer', ['IdType="ImmutableId"', headers.Prefer].filter(Boolean).join(', '))
            .headers(Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'Prefer')))
            .middlewareOptions([this.metricsOption, ...options]);
    }
}

/** With a raw response the client does not parse errors; do it so callers see Graph's error code. */
export async function toGraphError(response: Response): Promise<GraphError> {
    const text = await response.text().catch(() => '');
    let body: { error?: { code?: string; message?: string } } = {};
    try {
        body = JSON.parse(text) as typeof body;
    } catch {
        // not JSON: keep the status alone
    }
    const error = new GraphError(response.status, body.error?.message ?? response.statusText);
    error.code = body.error?.code ?? null;
    error.body = text;
    error.headers = response.headers;
    return error;
}
