/**
 * One row of the benchmark: what the simulator saw (requests by kind, 429s) and what the engine's process
 * measured (time, CPU, memory, bytes), and for runs with latency the lower bound the run is compared with.
 */
import { DEFAULT_PARALLEL_MAILBOXES } from '../../src/backup/backupRun';
import type { Simulator, Tenant } from '../sim';
import type { EngineResult } from './engineJob';
import { mailboxUsers, syncedFolders } from './tenants';

const MB = 1024 * 1024;
/** Exchange's concurrent requests per app and mailbox (docs/graph-behaviour.md, "Throttling"). */
const SLOTS_PER_MAILBOX = 4;

export interface Requests {
    token: number;
    users: number;
    folders: number;
    delta: number;
    message: number;
    /** Attachment listings and attachment downloads. */
    attachments: number;
    /** Message MIME downloads (`/messages/{id}/$value`). */
    value: number;
    total: number;
}

export interface Row {
    scenario: string;
    messages: number;
    mailboxes: number;
    folders: number;
    requests: Requests;
    /** Most requests any one mailbox needed. */
    maxRequestsPerMailbox: number;
    throttled: number;
    mbDownloaded: number;
    mbStored: number;
    wallSeconds: number;
    messagesPerSecond: number;
    peakRssMb: number;
    cpuSeconds: number;
    /** CPU of the simulator's process and of Azurite's during the run, to see which one bounds it. */
    simulatorCpuSeconds: number;
    azuriteCpuSeconds?: number;
    /** Only for runs with simulated latency. */
    lowerBoundSeconds?: number;
    ratio?: number;
    status: string;
}

export interface Conditions {
    latencyMs: number;
    bandwidthBytesPerSec?: number;
}

export function measure(
    scenario: string,
    sim: Simulator,
    tenant: Tenant,
    engine: EngineResult,
    conditions: Conditions,
    others: { simulatorCpuSeconds: number; azuriteCpuSeconds?: number },
): Row {
    const c = sim.counters;
    const users = mailboxUsers(tenant);
    const messages = users.reduce((sum, u) => sum + u.messages().length, 0);
    const lowerBound = conditions.latencyMs > 0 ? tenantLowerBound(sim, tenant, engine, conditions) : undefined;
    return {
        scenario,
        messages,
        mailboxes: users.length,
        folders: users.reduce((sum, u) => sum + syncedFolders(u), 0),
        requests: {
            token: c.token,
            users: c.users,
            folders: c.folders,
            delta: c.delta,
            message: c.message,
            attachments: c.attachments + c.attachmentValue,
            value: c.value,
            total: c.total,
        },
        maxRequestsPerMailbox: Math.max(0, ...c.byMailbox.values()),
        throttled: c.throttled,
        mbDownloaded: engine.counters.bytesDownloaded / MB,
        mbStored: engine.counters.bytesStored / MB,
        wallSeconds: engine.wallSeconds,
        messagesPerSecond: messages / engine.wallSeconds,
        peakRssMb: engine.maxRssMb,
        cpuSeconds: engine.cpuSeconds,
        ...others,
        lowerBoundSeconds: lowerBound,
        ratio: lowerBound ? engine.wallSeconds / lowerBound : undefined,
        status: engine.status,
    };
}

/**
 * The shortest time the simulated Graph allows. A mailbox gets four slots; each request holds one for the
 * latency, a download also for its bytes at the bandwidth cap. So a mailbox needs at least its total slot
 * time ÷ 4, and at least its longest single request. Mailboxes run side by side (eight at a time), so the
 * tenant needs its slowest mailbox or its mailboxes' sum ÷ 8, whichever is longer, after the directory
 * listing that comes first.
 */
function tenantLowerBound(sim: Simulator, tenant: Tenant, engine: EngineResult, conditions: Conditions): number {
    const latency = conditions.latencyMs / 1000;
    const transfer = (bytes: number) => (conditions.bandwidthBytesPerSec ? bytes / conditions.bandwidthBytesPerSec : 0);
    const largest = largestDownloadByMailbox(sim, tenant);
    const mailboxes = [...sim.counters.byMailbox].map(([upn, requests]) => {
        const bytes = engine.mailboxes.find((m) => m.userPrincipalName === upn)?.bytesDownloaded ?? 0;
        const slotTime = requests * latency + transfer(bytes);
        return Math.max(slotTime / SLOTS_PER_MAILBOX, latency + transfer(largest.get(upn) ?? 0));
    });
    const sum = mailboxes.reduce((a, b) => a + b, 0);
    return sim.counters.users * latency + Math.max(0, ...mailboxes, sum / DEFAULT_PARALLEL_MAILBOXES);
}

function largestDownloadByMailbox(sim: Simulator, tenant: Tenant): Map<string, number> {
    const largest = new Map<string, number>();
    for (const user of mailboxUsers(tenant)) {
        for (const id of sim.counters.valueDownloads) {
            const message = user.mailbox.findMessage(id);
            if (message) largest.set(user.upn, Math.max(largest.get(user.upn) ?? 0, message.size));
        }
    }
    return largest;
}
