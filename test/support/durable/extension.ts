/**
 * A stand-in for the Durable extension's HTTP API (the `rpcBaseUrl` the real DurableClient talks to): it
 * keeps instance statuses, starts orchestrations through the DurableReplayer and, like host.json's
 * `overridableExistingInstanceStates: NonRunningStates`, refuses to start over an instance that is running.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { DurableReplayer } from './replay';

interface Instance {
    name: string;
    instanceId: string;
    createdTime: string;
    lastUpdatedTime: string;
    input: unknown;
    output: unknown;
    runtimeStatus: 'Running' | 'Completed' | 'Failed';
    customStatus: unknown;
    done: Promise<void>;
}

export interface FakeDurableExtension {
    clientData: Record<string, unknown>;
    starts: string[];
    instance(id: string): Instance | undefined;
    /** Resolves when the instance has ended (completed or failed). */
    finished(id: string): Promise<Instance>;
    setStatus(id: string, customStatus: unknown): void;
    close(): Promise<void>;
}

export async function startFakeExtension(replayer: () => DurableReplayer): Promise<FakeDurableExtension> {
    const instances = new Map<string, Instance>();
    const starts: string[] = [];
    const server: Server = createServer((req, res) => {
        void handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }));
    });
    const handle = async (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const body = await readBody(req);
        const status = /^\/instances\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'GET' && status) {
            const instance = instances.get(decodeURIComponent(status[1] ?? ''));
            if (!instance) return send(res, 404, undefined);
            const { done: _done, ...json } = instance;
            return send(res, 200, json);
        }
        const start = /^\/orchestrators\/([^/]+)\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'POST' && start) {
            const [name, instanceId] = [decodeURIComponent(start[1] ?? ''), decodeURIComponent(start[2] ?? '')];
            if (instances.get(instanceId)?.runtimeStatus === 'Running') {
                return send(res, 409, { message: `An instance with ID '${instanceId}' already exists.` });
            }
            const input: unknown = body ? JSON.parse(body) : undefined;
            const now = new Date().toISOString();
            const instance: Instance = {
                name,
                instanceId,
                createdTime: now,
                lastUpdatedTime: now,
                input,
                output: null,
                runtimeStatus: 'Running',
                customStatus: null,
                done: Promise.resolve(),
            };
            instances.set(instanceId, instance);
            starts.push(instanceId);
            instance.done = replayer()
                .run(name, input, instanceId)
                .then(
                    (output) => Object.assign(instance, { output, runtimeStatus: 'Completed' }),
                    (error: unknown) => Object.assign(instance, { output: String(error), runtimeStatus: 'Failed' }),
                )
                .then(() => undefined);
            return send(res, 202, { id: instanceId });
        }
        send(res, 404, { message: `${req.method} ${url.pathname} is not part of this fake` });
    };
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const webhooks = `${base}/runtime/webhooks/durabletask`;
    const query = 'taskHub=test&connection=Storage&code=systemkey';
    return {
        clientData: {
            taskHubName: 'test',
            creationUrls: {
                createNewInstancePostUri: `${webhooks}/orchestrators/{functionName}[/{instanceId}]?${query}`,
                createAndWaitOnNewInstancePostUri: `${webhooks}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
            },
            managementUrls: {
                id: 'INSTANCEID',
                statusQueryGetUri: `${webhooks}/instances/INSTANCEID?${query}`,
                sendEventPostUri: `${webhooks}/instances/INSTANCEID/raiseEvent/{eventName}?${query}`,
                terminatePostUri: `${webhooks}/instances/INSTANCEID/terminate?reason={text}&${query}`,
                rewindPostUri: `${webhooks}/instances/INSTANCEID/rewind?reason={text}&${query}`,
                purgeHistoryDeleteUri: `${webhooks}/instances/INSTANCEID?${query}`,
                restartPostUri: `${webhooks}/instances/INSTANCEID/restart?${query}`,
                suspendPostUri: `${webhooks}/instances/INSTANCEID/suspend?reason={text}&${query}`,
                resumePostUri: `${webhooks}/instances/INSTANCEID/resume?reason={text}&${query}`,
            },
            baseUrl: webhooks,
            requiredQueryStringParameters: query,
            rpcBaseUrl: `${base}/`,
        },
        starts,
        instance: (id) => instances.get(id),
        finished: async (id) => {
            const instance = instances.get(id);
            if (!instance) throw new Error(`no instance ${id}`);
            await instance.done;
            return instance;
        },
        setStatus: (id, customStatus) => {
            const instance = instances.get(id);
            if (instance) Object.assign(instance, { customStatus, lastUpdatedTime: new Date().toISOString() });
        },
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

function send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
}
