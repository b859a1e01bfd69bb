import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCounters, increment, type Counters } from '../model/counters';
import type { Faults, FaultSpec } from './faults';
import { GraphError } from '../graph/graphError';
import { graphDate, parsePrefer } from '../graph/odata';
import { sleep, writeReply, type JsonReply, type Reply } from './reply';
import { matchRoute, type Route } from './routes';
import { AccessTokens, entraError, issueToken, openIdConfiguration, type StsConfig } from '../entra/sts';
import type { Tenant } from '../model/tenant';
import type { SimUser } from '../model/user';
import { MailboxThrottle, type ThrottleLimits } from '../graph/throttle';

export interface PipelineSettings {
    sts: StsConfig;
    tenant: Tenant;
    faults: Faults;
    limits: ThrottleLimits;
    latencyMs: number;
    bandwidthBytesPerSec?: number;
}

interface RequestIds {
    requestId: string;
    clientRequestId: string;
}

interface GraphRequest {
    route: Extract<Route, { area: 'graph' }>;
    url: URL;
    user: SimUser | undefined;
    /** UPN when the route is a mailbox (Outlook) route for an existing user. */
    mailbox: string | undefined;
    midBody: boolean;
    ids: RequestIds;
    /** A fault that replaces the handler's answer once it has run. */
    lost?: FaultSpec;
}

/** Every Graph write is capped at 4 MB (413 "Request entity too large"; docs/graph-behaviour.md, "Restore writes"). */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

const FAULT_CODES: Record<number, string> = {
    429: 'TooManyRequests',
    500: 'InternalServerError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
    504: 'GatewayTimeout',
};

/**
 * One request, in the order the real service would treat it: count it, apply an injected fault, answer the STS or
 * check the bearer token, take the mailbox's throttling slot, wait out the simulated latency, then run the handler.
 */
export class RequestPipeline {
    readonly counters: Counters = createCounters();
    private readonly tokens = new AccessTokens();
    private readonly throttle: MailboxThrottle;

    constructor(readonly settings: PipelineSettings) {
        this.throttle = new MailboxThrottle(settings.limits, this.counters);
    }

    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const ids = { requestId: randomUUID(), clientRequestId: header(req, 'client-request-id') ?? randomUUID() };
        res.setHeader('request-id', ids.requestId);
        res.setHeader('client-request-id', ids.clientRequestId);
        const url = new URL(req.url ?? '/', this.settings.sts.base);
        const route = matchRoute(req.method ?? 'GET', url.pathname);
        this.counters[route.kind]++;
        this.counters.total++;
        const user =
            route.area === 'graph' && route.params.user ? this.settings.tenant.findUser(route.params.user) : undefined;
        const mailbox = route.area === 'graph' && route.mailbox ? user?.upn : undefined;
        if (mailbox) increment(this.counters.byMailbox, mailbox);

        const fault = this.settings.faults.take(route.kind, user?.upn, url.pathname);
        if (fault?.reset === 'beforeResponse') {
            req.socket.destroy();
            return;
        }
        const midBody = fault?.reset === 'midBody';
        const lost = fault?.afterHandling ? fault : undefined;
        if (fault?.status !== undefined && !lost) {
            return this.send(res, faultReply(fault, route.area === 'sts', ids), midBody);
        }
        if (route.area === 'sts') return this.send(res, await this.answerSts(req, route), midBody);

        return this.answerGraph(req, res, { route, url, user, mailbox, midBody, ids, lost });
    }

    private async answerGraph(req: IncomingMessage, res: ServerResponse, request: GraphRequest): Promise<void> {
        const { route, url, user, mailbox, midBody, ids, lost } = request;
        // An upload session's URL carries its own token and is called without a bearer token (docs/graph-behaviour.md,
        // "Restore writes").
        const denied = route.kind === 'upload' ? undefined : this.checkToken(req);
        if (denied) return this.send(res, errorReply(denied, ids), false);
        if (mailbox) {
            try {
                // The slot is free once the response's last byte is handed over (res.end), before the
                // client can have read it and sent its next request; 'close' covers responses that never
                // end (a reset mid-body). Waiting for 'finish' raced the client and counted phantom fifths.
                const release = this.throttle.acquire(mailbox);
                let released = false;
                const releaseOnce = () => {
                    if (!released) release();
                    released = true;
                };
                const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
                res.end = ((...args: unknown[]) => {
                    releaseOnce();
                    return end(...args);
                }) as typeof res.end;
                res.once('close', releaseOnce);
            } catch (err) {
                return this.send(res, errorReply(err as GraphError, ids), false);
            }
        }
        let body: Buffer | undefined;
        if (req.method === 'POST' || req.method === 'PUT') {
            try {
                body = await readRequestBody(req);
                if (mailbox) this.throttle.chargeUpload(mailbox, body.length);
            } catch (err) {
                if (!(err instanceof GraphError)) throw err;
                return this.send(res, errorReply(err, ids), false);
            }
        }
        if (this.settings.latencyMs > 0) await sleep(this.settings.latencyMs);
        let reply: Reply;
        try {
            const ctx = {
                base: this.settings.sts.base,
                query: url.searchParams,
                prefer: parsePrefer(req.headers.prefer),
                tenant: this.settings.tenant,
                params: route.params,
                user,
                body,
                headers: req.headers,
            };
            reply = route.handle(ctx, (id) => this.counters.valueDownloads.push(id));
        } catch (err) {
            if (!(err instanceof GraphError)) throw err;
            reply = errorReply(err, ids);
        }
        if (lost) reply = faultReply(lost, false, ids);
        return this.send(res, reply, midBody);
    }

    private async send(res: ServerResponse, reply: Reply, midBody: boolean): Promise<void> {
        if (reply.status === 429) this.counters.throttled++;
        await writeReply(res, reply, { midBody, bandwidthBytesPerSec: this.settings.bandwidthBytesPerSec });
    }

    private async answerSts(req: IncomingMessage, route: Extract<Route, { area: 'sts' }>): Promise<JsonReply> {
        if (route.kind === 'openidConfig') return openIdConfiguration(this.settings.sts, route.tenant);
        const form = new URLSearchParams(await readBody(req));
        return issueToken(this.settings.sts, this.tokens, route.tenant, form);
    }

    private checkToken(req: IncomingMessage): GraphError | undefined {
        const authorization = header(req, 'authorization') ?? '';
        const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
        if (bearer && this.tokens.isValid(bearer)) return undefined;
        const message = bearer ? 'Access token has expired or is not yet valid.' : 'Access token is empty.';
        return new GraphError(401, 'InvalidAuthenticationToken', message, {
            'WWW-Authenticate':
                'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
        });
    }
}

export function errorReply(err: GraphError, ids: RequestIds): JsonReply {
    const innerError = {
        ...err.innerError,
        date: graphDate(new Date()),
        'request-id': ids.requestId,
        'client-request-id': ids.clientRequestId,
    };
    return {
        status: err.status,
        headers: err.headers,
        json: { error: { code: err.code, message: err.message, innerError } },
    };
}

function faultReply(fault: FaultSpec, sts: boolean, ids: RequestIds): JsonReply {
    const status = fault.status ?? 503;
    const headers: Record<string, string> =
        fault.retryAfterSec !== undefined ? { 'Retry-After': String(fault.retryAfterSec) } : {};
    if (sts) {
        const reply = entraError(
            status,
            'temporarily_unavailable',
            90033,
            'A transient error has occurred. Please try again.',
        );
        return { ...reply, headers };
    }
    const code = FAULT_CODES[status] ?? 'ServiceUnavailable';
    const message = status === 429 ? 'Please retry again later.' : 'The service is temporarily unavailable.';
    return errorReply(new GraphError(status, code, message, headers), ids);
}

function header(req: IncomingMessage, name: string): string | undefined {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > 1_000_000) throw new Error('request body too large');
        chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
}

/** The body of a write, or the 413 Graph answers beyond its request cap. */
async function readRequestBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_REQUEST_BYTES) {
            throw new GraphError(413, 'RequestEntityTooLarge', 'Request entity too large.');
        }
        chunks.push(chunk);
    }
    return Buffer.concat(chunks);
}
