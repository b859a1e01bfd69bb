import { Transform, type Readable } from 'node:stream';

import {
    createDefaultHttpClient,
    createHttpHeaders,
    createPipelineRequest,
    type HttpClient,
    type PipelineResponse,
    type RawHttpHeadersInput,
} from '@azure/core-rest-pipeline';
import type { Context, Middleware, MiddlewareOptions } from '@microsoft/microsoft-graph-client';

import { NetworkError } from './graphErrors';

/** Waiting this long for the response headers, or for the next bytes of a body, ends the request as a network error. */
const SILENCE_MS = 300_000;
/** Statuses whose body a streamed request reads as a stream; any other status is read whole, for its error. */
const STREAMED_STATUSES = new Set([200, 206]);
/**
 * Every body comes from the HTTP client as a stream and is read here: a connection dropped while the client read it
 * would reach us as a parse error, and must stay a network error, which is retried (transientFailures.ts).
 */
const EVERY_STATUS = new Set([Number.POSITIVE_INFINITY]);
/** Statuses a Response may not carry a body with. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** Marks a request whose successful body is read as a Node stream (`streamedBody`), not through the client. */
export class StreamedBody implements MiddlewareOptions {}

const streams = new WeakMap<Response, Readable>();

/** The Node stream of a response to a request marked `StreamedBody`; undefined for any other response. */
export function streamedBody(response: Response): Readable | undefined {
    return streams.get(response);
}

/**
 * The Graph client's last middleware: sends the request through the Azure SDK's Node HTTP client (node:https with
 * keep-alive) instead of the global fetch. A `$value` download cost about 1.0 ms of CPU through fetch, most of it in
 * WHATWG streams, and 0.7 ms through this (docs/performance.md); a backup makes one per message. The client
 * still gets a WHATWG Response, as it expects; only a streamed body stays a Node stream, handed over beside it.
 * Like fetch it asks for gzip and decodes it, and a connection that falls silent fails instead of hanging.
 */
export class NodeHttpHandler implements Middleware {
    private readonly http: HttpClient = createDefaultHttpClient();

    /** `silenceMs`: how long a request may wait for its answer to start, or for the next bytes of it. */
    constructor(private readonly silenceMs = SILENCE_MS) {}

    async execute(context: Context): Promise<void> {
        try {
            await this.send(context);
        } catch (error) {
            // The HTTP client throws only when no complete answer came: say so in a way the retries recognise.
            throw toNetworkError(error);
        }
    }

    private async send(context: Context): Promise<void> {
        const options = context.options ?? {};
        const stream = context.middlewareControl?.getMiddlewareOptions(StreamedBody) !== undefined;
        const headers = createHttpHeaders(headerRecord(options.headers));
        if (!headers.has('Accept-Encoding')) headers.set('Accept-Encoding', 'gzip, deflate');
        // Our own timer, not the client's `timeout`: that one is left running when the connection fails, and a timer of
        // minutes keeps a finished CLI from exiting.
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(), this.silenceMs).unref();
        let response: PipelineResponse;
        try {
            response = await this.http.sendRequest(
                createPipelineRequest({
                    url:
                        typeof context.request === 'string'
                            ? context.request
                            : (context.request as { url: string }).url,
                    method: (options.method ?? 'GET').toUpperCase() as 'GET',
                    headers,
                    body: options.body as string | Buffer | undefined,
                    abortSignal: abort.signal,
                    streamResponseStatusCodes: EVERY_STATUS,
                }),
            );
        } finally {
            clearTimeout(timer);
        }
        const init = { status: response.status, headers: response.headers.toJSON({ preserveCase: true }) };
        const body = watchForSilence(response.readableStreamBody as Readable, this.silenceMs);
        if (stream && STREAMED_STATUSES.has(response.status)) {
            const result = new Response(null, init);
            streams.set(result, body);
            context.response = result;
            return;
        }
        const bytes = await readAll(body);
        context.response = new Response(NULL_BODY_STATUSES.has(response.status) ? null : bytes, init);
    }
}

function toNetworkError(error: unknown): NetworkError {
    if (error instanceof NetworkError) return error;
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    return new NetworkError(message, typeof code === 'string' ? code : undefined);
}

async function readAll(body: Readable): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
}

function headerRecord(headers: unknown): RawHttpHeadersInput {
    if (!headers) return {};
    if (headers instanceof Headers) return Object.fromEntries(headers.entries());
    if (Array.isArray(headers)) return Object.fromEntries(headers as [string, string][]);
    return headers as RawHttpHeadersInput;
}

/** The body, failing with a network error (ETIMEDOUT) when no bytes arrive for `silenceMs`. */
function watchForSilence(body: Readable, silenceMs: number): Readable {
    const silent = () => {
        body.destroy(new NetworkError(`no response bytes for ${silenceMs / 1000} s`, 'ETIMEDOUT'));
    };
    const timer = setTimeout(silent, silenceMs).unref();
    const watched = new Transform({
        transform(chunk: Buffer, _encoding, done) {
            timer.refresh();
            done(null, chunk);
        },
    });
    const stop = () => clearTimeout(timer);
    body.once('error', (error) => watched.destroy(error));
    watched.once('close', () => {
        stop();
        body.destroy();
    });
    body.once('end', stop);
    return body.pipe(watched);
}
