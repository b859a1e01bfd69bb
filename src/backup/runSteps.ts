/**
 * A backup run in steps, for the Functions app: its orchestration calls each step as an activity and
 * calls backUpMailboxSlice as often as a mailbox needs. What connects the steps lives in the run history
 * tables — one mailboxruns row per mailbox, `queued` → `running` → its result — so what travels through
 * the orchestration's history is ids and counts, never the list of mailboxes.
 *
 * The CLI's runBackup does the same in one process; both call backupMailbox, so for the same tenant
 * they leave the same index and blobs.
 */
import { toBackupError } from '../graph/graphErrors';
import { MailboxGraph } from '../graph/mailboxGraph';
import { GraphMetrics } from '../graph/requestMetrics';
import {
    emptyCounters,
    type MailboxRunEntity,
    type RunCounters,
    type RunEntity,
    type RunType,
} from '../store/entities';
import { toTableKey } from '../store/tableKeys';
import { overallStatus } from './backupRun';
import { discoverMailboxes, type MailboxFilter } from './discovery';
import { backupMailbox, type EngineDeps, type MailboxStatus } from './mailboxBackup';
import type { Mailbox } from './mailboxContext';
import type { BackupOptions } from './options';
import { mailboxSummaryEvent, runSummaryEvent } from './runEvents';

/** Mailboxes one batch (sub-orchestration) works through, one after another. */
const MAX_BATCH_SIZE = 25;

/** Failed items listed on a mailbox's run row; the count is always exact. */
const LISTED_FAILURES = 50;

export interface BeginRunRequest extends MailboxFilter {
    runId: string;
    type: RunType;
    trigger: string;
    /** Mailboxes backed up at the same time across the tenant. */
    parallel: number;
}

export interface RunPlan {
    runId: string;
    mailboxCount: number;
    batchCount: number;
    /** Batches started together; their mailboxes run one after another, so this bounds the tenant's parallelism. */
    parallel: number;
    /** Set when the run ended before any mailbox, e.g. Graph refused the credentials; already recorded. */
    failed?: string;
}

export type StepDeps = Pick<EngineDeps, 'client' | 'storage' | 'now' | 'log'>;

/**
 * Discovers the mailboxes, records the run as running with a queued row per mailbox (skipped users and
 * unknown names recorded at once) and splits the mailboxes into batches. Safe to repeat: a run that
 * already exists is planned again from its rows.
 */
export async function beginRun(deps: StepDeps, request: BeginRunRequest): Promise<RunPlan> {
    const { storage, now } = deps;
    const existing = await storage.runs.getRun(request.runId);
    if (existing) return planFromRows(deps, existing, request.parallel);
    await closeAbandonedRuns(deps, request.runId);
    let discovery;
    try {
        discovery = await discoverMailboxes(new MailboxGraph(deps.client, 'directory', [new GraphMetrics()]), request);
    } catch (error) {
        const reason = toBackupError(error, 'listing the users of the tenant').userMessage;
        const run = await storage.runs.startRun({ ...request, now: now() });
        run.reason = reason;
        run.status = 'failed';
        run.endedAt = now().toISOString();
        await storage.runs.updateRun(run);
        deps.log.warn(runSummaryEvent(run));
        return { runId: run.runId, mailboxCount: 0, batchCount: 0, parallel: request.parallel, failed: reason };
    }
    const run = await storage.runs.startRun({ ...request, now: now() });
    const at = now().toISOString();
    const size = batchSize(discovery.mailboxes.length, request.parallel);
    const rows: MailboxRunEntity[] = [
        ...discovery.mailboxes.map((m, i) =>
            mailboxRow(run.runId, m.id, m.userPrincipalName, 'queued', '', at, Math.floor(i / size)),
        ),
        ...discovery.skipped.map((u) => mailboxRow(run.runId, u.id, u.userPrincipalName, 'skipped', u.reason, at)),
        // An unknown name has no object id; its row is keyed by the name so it still shows in the run.
        ...discovery.unknown.map((name) =>
            mailboxRow(run.runId, toTableKey(name), name, 'failed', 'no such user in the tenant', at),
        ),
    ];
    await storage.runs.recordMailboxes(run.runId, rows);
    run.mailboxesTotal = rows.length;
    await storage.runs.updateRun(run);
    const batchCount = Math.ceil(discovery.mailboxes.length / size);
    deps.log.info(
        `run ${run.runId}: ${discovery.mailboxes.length} mailboxes in ${batchCount} batches, ` +
            `${discovery.skipped.length} skipped, ${discovery.unknown.length} unknown`,
    );
    return { runId: run.runId, mailboxCount: discovery.mailboxes.length, batchCount, parallel: request.parallel };
}

/** Triggers of runs the Functions app starts; only one of them runs at a time (one orchestration instance). */
const APP_TRIGGERS = new Set(['timer', 'http']);
/** How far back abandoned runs are looked for. */
const ABANDONED_LOOKBACK_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * A run of the app still `running` when the app starts another was abandoned: its orchestration was
 * terminated or failed before completeBackupRun. Recorded as failed, so history and alerts do not show
 * it running forever. CLI runs are left alone: one may be going in another process right now.
 */
async function closeAbandonedRuns(
    deps: Pick<StepDeps, 'storage' | 'now' | 'log'>,
    currentRunId: string,
): Promise<void> {
    const since = new Date(deps.now().getTime() - ABANDONED_LOOKBACK_MS);
    for await (const run of deps.storage.runs.listRuns(since)) {
        if (run.status !== 'running' || run.runId === currentRunId || run.type === 'verify') continue;
        if (!APP_TRIGGERS.has(run.trigger)) continue;
        run.status = 'failed';
        run.reason = 'its orchestration ended before recording the result (terminated, or failed in the host)';
        run.endedAt = deps.now().toISOString();
        await deps.storage.runs.updateRun(run);
        deps.log.warn(runSummaryEvent(run));
    }
}

/**
 * Batches small enough that a tenant's mailboxes spread over all parallel lanes a few times over (so
 * progress shows and one slow mailbox holds up few others), and at most 25 so a batch's history stays small.
 */
export function batchSize(mailboxes: number, parallel: number): number {
    return Math.min(MAX_BATCH_SIZE, Math.max(1, Math.ceil(mailboxes / (parallel * 4))));
}

/** The mailboxes of one batch, in a stable order. */
export async function loadBatch(deps: Pick<StepDeps, 'storage'>, runId: string, batch: number): Promise<Mailbox[]> {
    const mailboxes: Mailbox[] = [];
    for await (const row of deps.storage.runs.listBatch(runId, batch)) {
        mailboxes.push({ id: row.mailboxId, userPrincipalName: row.userPrincipalName, displayName: '', shared: false });
    }
    return mailboxes.sort((a, b) => a.id.localeCompare(b.id));
}

export interface SliceRequest {
    runId: string;
    batch: number;
    mailbox: Mailbox;
    options: BackupOptions;
    /** Minutes this slice may work before handing back its continuation. */
    sliceMinutes: number;
}

export interface SliceResult {
    status: MailboxStatus;
    reason: string;
    counters: RunCounters;
}

/**
 * Backs up one mailbox for at most `sliceMinutes` and adds what it did to the mailbox's row. `incomplete`
 * means: call again with the same request; the engine resumes at the folder and page it stopped at.
 * A mailbox that failed throws, so the orchestration's retry policy tries it again; the last error stays
 * on the row for recordMailboxFailure.
 */
export async function backUpMailboxSlice(deps: StepDeps, request: SliceRequest): Promise<SliceResult> {
    const { runId, mailbox } = request;
    const started = deps.now();
    const row =
        (await deps.storage.runs.getMailboxRun(runId, mailbox.id)) ??
        mailboxRow(runId, mailbox.id, mailbox.userPrincipalName, 'queued', '', started.toISOString(), request.batch);
    if (row.status === 'queued') row.startedAt = started.toISOString();
    const deadline = started.getTime() + request.sliceMinutes * 60_000;
    const outcome = await backupMailbox(deps, { mailbox, runId, options: request.options, deadline });
    addCounters(row, outcome.counters);
    row.slices = (row.slices ?? 0) + 1;
    if (outcome.status === 'failed') {
        row.status = 'running';
        row.reason = outcome.reason;
        await deps.storage.runs.recordMailbox(row);
        throw new Error(outcome.reason);
    }
    const finished = outcome.status !== 'incomplete';
    row.status = finished ? (outcome.status as MailboxRunEntity['status']) : 'running';
    row.reason = outcome.reason;
    row.failedItems = JSON.stringify(outcome.failures.slice(0, LISTED_FAILURES));
    if (finished) row.endedAt = deps.now().toISOString();
    await deps.storage.runs.recordMailbox(row);
    if (finished) deps.log.info(mailboxSummaryEvent(row));
    return { status: outcome.status, reason: outcome.reason, counters: outcome.counters };
}

/** Records a mailbox whose slices kept failing after every retry; its last error is already on the row. */
export async function recordMailboxFailure(
    deps: Pick<StepDeps, 'storage' | 'now' | 'log'>,
    runId: string,
    mailbox: Mailbox,
    batch: number,
    fallbackReason: string,
): Promise<void> {
    const now = deps.now().toISOString();
    const row =
        (await deps.storage.runs.getMailboxRun(runId, mailbox.id)) ??
        mailboxRow(runId, mailbox.id, mailbox.userPrincipalName, 'queued', '', now, batch);
    row.status = 'failed';
    row.reason = row.reason || fallbackReason;
    row.endedAt = now;
    await deps.storage.runs.recordMailbox(row);
    deps.log.warn(mailboxSummaryEvent(row));
}

/**
 * Totals the mailbox rows into the run's row and gives the run its final status. Mailboxes still queued
 * or running (an orchestration that was stopped) count as failed: the run is never silently `succeeded`.
 */
export async function completeRun(deps: Pick<StepDeps, 'storage' | 'now' | 'log'>, runId: string): Promise<RunEntity> {
    const run = await deps.storage.runs.getRun(runId);
    if (!run) throw new Error(`run ${runId} is not in the run history`);
    const totals = emptyCounters();
    Object.assign(run, { mailboxesDone: 0, mailboxesSkipped: 0, mailboxesFailed: 0, mailboxesTotal: 0 });
    run.status = 'running';
    for await (const row of deps.storage.runs.listMailboxRuns(runId)) {
        run.mailboxesTotal++;
        if (row.status === 'skipped') run.mailboxesSkipped++;
        else if (row.status === 'succeeded' || row.status === 'partial') run.mailboxesDone++;
        else run.mailboxesFailed++;
        if (row.status === 'partial') run.status = 'partial';
        addCounters(totals, row);
    }
    Object.assign(run, totals);
    run.status = overallStatus(run);
    run.endedAt = deps.now().toISOString();
    await deps.storage.runs.updateRun(run);
    if (run.status === 'succeeded') deps.log.info(runSummaryEvent(run));
    else deps.log.warn(runSummaryEvent(run));
    return run;
}

async function planFromRows(deps: Pick<StepDeps, 'storage'>, run: RunEntity, parallel: number): Promise<RunPlan> {
    let mailboxCount = 0;
    let batchCount = 0;
    for await (const row of deps.storage.runs.listMailboxRuns(run.runId)) {
        if (row.batch === undefined) continue;
        mailboxCount++;
        batchCount = Math.max(batchCount, row.batch + 1);
    }
    return {
        runId: run.runId,
        mailboxCount,
        batchCount,
        parallel,
        failed: run.status === 'failed' ? run.reason : undefined,
    };
}

function mailboxRow(
    runId: string,
    mailboxId: string,
    userPrincipalName: string,
    status: MailboxRunEntity['status'],
    reason: string,
    at: string,
    batch?: number,
): MailboxRunEntity {
    const finished = status !== 'queued';
    return {
        partitionKey: runId,
        rowKey: mailboxId,
        mailboxId,
        userPrincipalName,
        status,
        reason,
        startedAt: at,
        endedAt: finished ? at : '',
        failedItems: '[]',
        ...(batch === undefined ? {} : { batch }),
        ...emptyCounters(),
    };
}

function addCounters(target: RunCounters, add: RunCounters): void {
    for (const key of Object.keys(emptyCounters()) as (keyof RunCounters)[]) target[key] += add[key] ?? 0;
}
