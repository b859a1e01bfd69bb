import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createTestCertificates } from './certs';
import type { Counters } from '../model/counters';
import { resetCounters } from '../model/counters';
import { Faults } from './faults';
import { RequestPipeline } from './pipeline';
import { Tenant } from '../model/tenant';

export interface SimulatorOptions {
    tenant?: Tenant;
    tenantId?: string;
    clientId?: string;
    clientSecret?: string;
    /** Where the CA and server certificate live; default $SIM_CERT_DIR or <tmp>/mail-backup-sim-certs. */
    certDir?: string;
    /** Default 0: any free port. */
    port?: number;
    /** Added before every Graph response, inside the mailbox's concurrency slot. */
    latencyMs?: number;
    /** Per-response cap for $value streams; unlimited when absent. */
    bandwidthBytesPerSec?: number;
    /** Concurrent requests per mailbox before 429 ApplicationThrottled; default 4. */
    mailboxConcurrency?: number;
    /** Request budget per mailbox and window before 429 TooManyRequests; default 10,000 per 600,000 ms. */
    requestsPerWindow?: number;
    windowMs?: number;
    /**
     * Upload budget per mailbox and window before 429; default 150 MiB per 300,000 ms (docs/graph-behaviour.md,
     * "Throttling").
     */
    uploadBytesPerWindow?: number;
    uploadWindowMs?: number;
    /** Lifetime of issued access tokens; default 3599. */
    tokenLifetimeSec?: number;
}

export interface Simulator {
    /** https://localhost:PORT — both the Graph base URL and the authority host. */
    url: string;
    tenantId: string;
    clientId: string;
    clientSecret: string;
    /** The settings a user gives to point the product at this tenant (credentials, authority, Graph endpoint). */
    settings: Record<string, string>;
    tenant: Tenant;
    counters: Counters;
    resetCounters(): void;
    faults: Faults;
    setLatency(ms: number): void;
    close(): Promise<void>;
}

export const DEFAULT_TENANT_ID = '7e3f1b2a-5c4d-4e8f-9a0b-1c2d3e4f5a6b';
export const DEFAULT_CLIENT_ID = '4d5e6f70-8192-4a3b-bc4d-5e6f70819a2b';
export const DEFAULT_CLIENT_SECRET = 'sim8Q~Secret.Value_0123456789abcdefABCDEF';

/**
 * An in-process HTTPS stand-in for one tenant's Entra ID token endpoints and the Graph v1.0 calls a mail backup
 * makes. The process must trust the CA in certDir (NODE_EXTRA_CA_CERTS, read at process start).
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
    const certDir = options.certDir ?? process.env.SIM_CERT_DIR ?? path.join(os.tmpdir(), 'mail-backup-sim-certs');
    const { certPem, keyPem } = await createTestCertificates(certDir);
    const tenant = options.tenant ?? new Tenant();
    const faults = new Faults();
    const pipeline = new RequestPipeline({
        sts: {
            base: '', // known once the port is
            tenantId: options.tenantId ?? DEFAULT_TENANT_ID,
            tenantDomain: tenant.domain,
            clientId: options.clientId ?? DEFAULT_CLIENT_ID,
            clientSecret: options.clientSecret ?? DEFAULT_CLIENT_SECRET,
            tokenLifetimeSec: options.tokenLifetimeSec ?? 3599,
        },
        tenant,
        faults,
        limits: {
            mailboxConcurrency: options.mailboxConcurrency ?? 4,
            requestsPerWindow: options.requestsPerWindow ?? 10_000,
            windowMs: options.windowMs ?? 600_000,
            uploadBytesPerWindow: options.uploadBytesPerWindow ?? 150 * 1024 * 1024,
            uploadWindowMs: options.uploadWindowMs ?? 300_000,
        },
        latencyMs: options.latencyMs ?? 0,
        bandwidthBytesPerSec: options.bandwidthBytesPerSec,
    });
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
        pipeline.handle(req, res).catch((err: unknown) => {
            console.error('tenant simulator: request failed', err);
            if (res.headersSent) res.destroy();
            else
                res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"error":{"code":"generalException"}}');
        });
    };
    const ipv4 = createServer({ cert: certPem, key: keyPem }, handler);
    ipv4.listen(options.port ?? 0, '127.0.0.1');
    await once(ipv4, 'listening');
    const port = (ipv4.address() as { port: number }).port;
    const servers = [ipv4, ...(await alsoOnIpv6(port, certPem, keyPem, handler))];
    const url = `https://localhost:${port}`;
    pipeline.settings.sts.base = url;
    const { sts } = pipeline.settings;
    return {
        url,
        tenantId: sts.tenantId,
        clientId: sts.clientId,
        clientSecret: sts.clientSecret,
        settings: {
            EXCHANGE_TENANT_ID: sts.tenantId,
            EXCHANGE_CLIENT_ID: sts.clientId,
            EXCHANGE_CLIENT_SECRET: sts.clientSecret,
            AZURE_AUTHORITY_HOST: url,
            GRAPH_ENDPOINT: url,
        },
        tenant,
        counters: pipeline.counters,
        resetCounters: () => resetCounters(pipeline.counters),
        faults,
        setLatency: (ms) => {
            pipeline.settings.latencyMs = ms;
        },
        close: () => Promise.all(servers.map(closeServer)).then(() => undefined),
    };
}

/**
 * 'localhost' may resolve to ::1 first, so the same port is bound on the IPv6 loopback too when the host has one;
 * binding loopback only keeps the simulator off the network.
 */
async function alsoOnIpv6(
    port: number,
    cert: string,
    key: string,
    handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Server[]> {
    const server = createServer({ cert, key }, handler);
    try {
        server.listen(port, '::1');
        await once(server, 'listening');
        return [server];
    } catch {
        server.close();
        return [];
    }
}

function closeServer(server: Server): Promise<void> {
    return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
    });
}
