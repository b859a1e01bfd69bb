import type { ServerResponse } from 'node:http';

/** What a handler answers; the writer adds latency, bandwidth limits and injected mid-body resets. */
export type Reply = JsonReply | StreamReply;

export interface JsonReply {
    status: number;
    json: unknown;
    headers?: Record<string, string>;
    contentType?: string;
}

export interface StreamReply {
    status: number;
    stream: () => Iterable<Buffer>;
    contentType: string;
    headers?: Record<string, string>;
    /** Called once every byte was written, just before the response ends. */
    onComplete?: () => void;
}

export interface WriteOptions {
    /** Send part of the body, then destroy the socket. */
    midBody: boolean;
    bandwidthBytesPerSec?: number;
}

const GRAPH_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export async function writeReply(res: ServerResponse, reply: Reply, options: WriteOptions): Promise<void> {
    if ('json' in reply) {
        const body = Buffer.from(JSON.stringify(reply.json));
        res.writeHead(reply.status, {
            ...reply.headers,
            'Content-Type': reply.contentType ?? GRAPH_JSON,
            'Content-Length': String(body.length),
        });
        if (options.midBody) cutOff(res, body);
        else res.end(body);
        return;
    }
    await writeStream(res, reply, options);
}

/**
 * $value as Graph sends it: chunked, no Content-Length (docs/graph-behaviour.md, "The Graph client library"), written
 * with backpressure so a 150 MB message never sits in memory, and paced when a bandwidth cap is set.
 */
async function writeStream(res: ServerResponse, reply: StreamReply, options: WriteOptions): Promise<void> {
    let closed = false;
    res.once('close', () => (closed = true));
    res.writeHead(reply.status, { ...reply.headers, 'Content-Type': reply.contentType });
    const started = Date.now();
    let sent = 0;
    for (const chunk of reply.stream()) {
        if (closed) return;
        if (options.midBody) {
            cutOff(res, chunk);
            return;
        }
        if (!res.write(chunk)) await drained(res);
        sent += chunk.length;
        const rate = options.bandwidthBytesPerSec;
        if (rate !== undefined && rate > 0) {
            const wait = started + (sent / rate) * 1000 - Date.now();
            if (wait > 0) await sleep(wait);
        }
    }
    if (closed) return;
    // Counted as served before end(): the client can have read the last byte before 'finish' fires here.
    reply.onComplete?.();
    res.end();
}

function cutOff(res: ServerResponse, chunk: Buffer): void {
    res.write(chunk.subarray(0, Math.ceil(chunk.length / 2)), () => res.socket?.destroy());
}

function drained(res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
        const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
        };
        res.on('drain', done);
        res.on('close', done);
    });
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
