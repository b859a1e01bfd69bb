/**
 * One tenant-scale measurement in a process of its own (started by tenantScale.ts): the Functions app's
 * backup orchestrations, run by the durable-functions library's own replay in the harness of
 * test/support/durable, with the app's registered activities against Azurite and the simulator.
 *
 * With `standInSlices`, the backUpMailboxSlice activity is replaced by a stand-in that waits for the time it
 * is given and writes the mailbox's row the way the slice step does; everything else
 * (discovery of every user, the queue, the claims, the rows, completeBackupRun) is the app's own code.
 *
 * Input: the job as JSON in argv[2]. Output: one line `RESULT <json>` on stdout.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

import { emptyCounters } from '../../src/store/entities';
import { newRunId } from '../../src/store/runHistory';
import { getEngine } from '../../src/functions/shared/engine';
import { recordFlight } from '../support/durable/flight';
import { handlersOf, loadFunctionsApp } from '../support/durable/functionsApp';
import { DurableReplayer } from '../support/durable/replay';
import { RESULT_MARKER } from './engineJob';

export interface TenantScaleJob {
    env: Record<string, string>;
    connectionString: string;
    prefix: string;
    workers: number;
    /** Replace the mail work of each slice by a wait of this many ms (uniform in [min, max]); real when absent. */
    standInSlices?: { minMs: number; maxMs: number; messagesPerMailbox: number };
}

export interface TenantScaleResult {
    status: string;
    mailboxesDone: number;
    mailboxesFailed: number;
    messagesNew: number;
    /** Mailboxes handed out by claims, and how many of them more than once. */
    claimed: number;
    claimedTwice: number;
    maxInFlight: number;
    occupancy: number;
    meanClaimMs: number;
    meanMailboxMs: number;
    executions: number;
    continuedAsNew: number;
    largestHistoryOfWorker: number;
    largestHistoryOfRun: number;
    activityCalls: Record<string, number>;
    /** Requests this process sent to the storage account's blob and table endpoints. */
    storageRequests: { blob: number; table: number };
    wallSeconds: number;
    cpuSeconds: number;
    maxRssMb: number;
}

const INSTANCE = 'mailbox-backup';

async function main(): Promise<void> {
    const job = JSON.parse(process.argv[2] ?? '') as TenantScaleJob;
    Object.assign(process.env, job.env, {
        BACKUP_STORAGE_CONNECTION_STRING: job.connectionString,
        BACKUP_TABLE_PREFIX: job.prefix,
        BACKUP_CONTAINER: job.prefix,
        BACKUP_PARALLEL_MAILBOXES: String(job.workers),
        BACKUP_SLICE_MINUTES: '20',
    });
    const registrations = await loadFunctionsApp();
    if (job.standInSlices) {
        const standIn = job.standInSlices;
        registrations.get('backUpMailboxSlice')!.options.handler = (input: unknown) => standInSlice(input, standIn);
    }
    const flight = recordFlight(registrations);
    const storageRequests = countStorageRequests(job.connectionString);
    const replayer = new DurableReplayer(
        handlersOf(registrations, 'orchestrationTrigger'),
        handlersOf(registrations, 'activityTrigger'),
    );
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const output = (await replayer.run(
        'backupRunOrchestrator',
        { runId: newRunId(new Date()), type: 'full', trigger: 'bench' },
        INSTANCE,
    )) as { status: string; mailboxesDone: number; mailboxesFailed: number; messagesNew: number };
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);

    const activityCalls: Record<string, number> = {};
    for (const call of replayer.activityCalls) activityCalls[call.name] = (activityCalls[call.name] ?? 0) + 1;
    const instances = new Set(replayer.executions.map((e) => e.instanceId));
    const result: TenantScaleResult = {
        status: output.status,
        mailboxesDone: output.mailboxesDone,
        mailboxesFailed: output.mailboxesFailed,
        messagesNew: output.messagesNew,
        claimed: flight.claims.size,
        claimedTwice: [...flight.claims.values()].filter((n) => n > 1).length,
        maxInFlight: flight.maxInFlight,
        occupancy: flight.occupancy(job.workers),
        meanClaimMs: flight.meanClaimMs(),
        meanMailboxMs: flight.meanMailboxMs(),
        executions: replayer.executions.length,
        continuedAsNew: replayer.executions.length - instances.size,
        largestHistoryOfWorker: Math.max(
            ...replayer.executions.filter((e) => e.instanceId !== INSTANCE).map((e) => e.history.length),
        ),
        largestHistoryOfRun: Math.max(
            ...replayer.executions.filter((e) => e.instanceId === INSTANCE).map((e) => e.history.length),
        ),
        activityCalls,
        storageRequests,
        wallSeconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        maxRssMb: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

/** Counts the HTTP requests to the account's blob and table endpoints (the storage SDKs use node:http). */
function countStorageRequests(connectionString: string): { blob: number; table: number } {
    const hostOf = (name: string) => {
        const endpoint = new RegExp(`${name}Endpoint=([^;]+)`).exec(connectionString)?.[1];
        return endpoint ? new URL(endpoint).host : undefined;
    };
    const hosts = { blob: hostOf('Blob'), table: hostOf('Table') };
    const counts = { blob: 0, table: 0 };
    subscribe('http.client.request.start', (message) => {
        const host = (message as { request: ClientRequest }).request.getHeader('host');
        if (host === hosts.blob) counts.blob++;
        else if (host === hosts.table) counts.table++;
    });
    return counts;
}

/** Waits as a mailbox's slice would, then records the mailbox finished as backUpMailboxSlice does. */
async function standInSlice(input: unknown, standIn: NonNullable<TenantScaleJob['standInSlices']>) {
    const { runId, mailbox } = input as { runId: string; mailbox: { id: string } };
    const { storage } = await getEngine();
    await new Promise((resolve) =>
        setTimeout(resolve, standIn.minMs + Math.random() * (standIn.maxMs - standIn.minMs)),
    );
    const row = (await storage.runs.getMailboxRun(runId, mailbox.id))!;
    const counters = { ...emptyCounters(), messagesNew: standIn.messagesPerMailbox };
    await storage.runs.recordMailbox({
        ...row,
        ...counters,
        status: 'succeeded',
        slices: 1,
        endedAt: new Date().toISOString(),
    });
    return { status: 'succeeded', reason: '', counters };
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
