import type { Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';

import { Client, GraphError, ResponseType } from '@microsoft/microsoft-graph-client';
import { afterEach, describe, expect, inject, it } from 'vitest';

import { classifyGraphError } from '../../src/graph/graphErrors';
import { NodeHttpHandler, StreamedBody, streamedBody } from '../../src/graph/httpTransport';
import { createTestCertificates } from '../sim';

/** An HTTPS server with the tests' certificate (the transport refuses plain HTTP), answering with `handle`. */
async function serve(handle: (path: string, res: ServerResponse) => void): Promise<{ base: string; server: Server }> {
    const { certPem, keyPem } = await createTestCertificates(inject('certDir'));
    const server = createServer({ cert: certPem, key: keyPem }, (req, res) => handle(req.url ?? '', res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { base: `https://localhost:${(server.address() as AddressInfo).port}`, server };
}

function clientFor(base: string, silenceMs?: number): Client {
    return Client.initWithMiddleware({ middleware: new NodeHttpHandler(silenceMs), baseUrl: base });
}

/** What `request` was rejected with; undefined if it succeeded. */
function failureOf(request: Promise<unknown>): Promise<unknown> {
    return request.then(
        () => undefined,
        (error: unknown) => error,
    );
}

async function text(stream: Readable): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
}

describe("Graph's HTTP transport", () => {
    let server: Server | undefined;
    afterEach(() => {
        server?.closeAllConnections();
        server?.close();
    });

    it('hands a streamed body over as a Node stream, and decodes gzip like fetch did', async () => {
        const mime = 'Subject: hello\r\n\r\n' + 'body line\r\n'.repeat(5_000);
        let base = '';
        ({ base, server } = await serve((_path, res) => {
            res.writeHead(200, { 'Content-Type': 'message/rfc822', 'Content-Encoding': 'gzip' });
            res.end(gzipSync(mime));
        }));

        const response = (await clientFor(base)
            .api('/users/u/messages/m/$value')
            .middlewareOptions([new StreamedBody()])
            .responseType(ResponseType.RAW)
            .get()) as Response;

        const body = streamedBody(response);
        expect(response.status).toBe(200);
        expect(body).toBeDefined();
        expect(await text(body!)).toBe(mime);
    });

    it("reads JSON and Graph's errors as the client expects them", async () => {
        let base = '';
        ({ base, server } = await serve((path, res) => {
            if (path.includes('missing')) {
                res.writeHead(404, { 'Content-Type': 'application/json' });
                res.end(JSON.stringify({ error: { code: 'ErrorItemNotFound', message: 'The item was not found.' } }));
                return;
            }
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ value: [{ id: 'a' }] }));
        }));
        const client = clientFor(base);

        expect(await client.api('/users/u/mailFolders').get()).toEqual({ value: [{ id: 'a' }] });
        const error = await failureOf(client.api('/users/u/missing').get() as Promise<unknown>);
        expect(error).toBeInstanceOf(GraphError);
        expect((error as GraphError).code).toBe('ErrorItemNotFound');
        expect(classifyGraphError(error)).toBe('notFound');
    });

    it('fails a connection dropped mid-answer, or one that falls silent before or during its answer, as a network error the retries know', async () => {
        let base = '';
        ({ base, server } = await serve((path, res) => {
            if (path.includes('mute')) return; // not even the headers
            res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
            res.write('{"value":[');
            if (path.includes('drop')) res.socket?.destroy();
            // otherwise: silent from here on
        }));
        const client = clientFor(base, 200);

        const dropped = await failureOf(client.api('/drop').get() as Promise<unknown>);
        expect(classifyGraphError(dropped)).toBe('transient');
        const mute = await failureOf(client.api('/mute').get() as Promise<unknown>);
        expect(classifyGraphError(mute)).toBe('transient');
        const silent = await failureOf(client.api('/silent').get() as Promise<unknown>);
        expect(classifyGraphError(silent)).toBe('transient');

        const streamed = (await client
            .api('/silent-stream')
            .middlewareOptions([new StreamedBody()])
            .responseType(ResponseType.RAW)
            .get()) as Response;
        const failure = await failureOf(text(streamedBody(streamed)!));
        expect(classifyGraphError(failure)).toBe('transient');
    });
});
