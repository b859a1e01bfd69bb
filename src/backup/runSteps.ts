/**
 * A backup run in steps, whoever drives it (docs/run-lifecycle.md):
 *   beginRun              discovers the mailboxes; records the run, a row per mailbox and the queue
 *   claimMailbox          takes the next mailbox out of the queue; each is handed out once
 *   backUpMailboxSlice    backs up one mailbox, or what fits in a time budget; called until it is finished
 *   recordMailboxFailure  records a mailbox its driver gave up on
 *   completeRun           totals the mailbox rows into the run's row and gives the run its final status
 * The Functions app calls each step as an activity (src/functions/backupOrchestrator.ts), the CLI calls
 * them in process (backupRun.ts). What connects the steps lives in the run history tables, so whoever
 * drives a run, it leaves the same rows.
 */
import { BackupError } from '../common/errors';
import { toBackupError } from '../graph/graphErrors';
import { MailboxGraph } from '../graph/mailboxGraph';
import { GraphMetrics } from '../graph/requestMetrics';
import {
    emptyCounters,
    type MailboxRunEntity,
    type RunCounters,
    type RunEntity,
    type RunStatus,
    type RunType,
} from '../store/entities';
import { newRunId } from '../store/runHistory';
import { jsonArrayWithin } from '../store/tableLimits';
import { toTableKey } from '../store/tableKeys';
import { type Discovery, discoverMailboxes, type MailboxFilter } from './discovery';
import { backupMailbox, type EngineDeps, type MailboxStatus } from './mailboxBackup';
import type { FailedItem, Mailbox } from '../common/mailbox';
import type { BackupOptions } from './options';
import { mailboxSummaryEvent, runSummaryEvent } from './runEvents';

/** Characters of a failed item's subject and error kept on the mailbox row; the rest is in the log. */
const LISTED_TEXT = 300;

export type StepDeps = Pick<EngineDeps, 'client' | 'storage' | 'now' | 'log' | 'progress' | 'signal'>;

/** The owner recorded for runs of the Functions app; there is one at a time (one orchestration instance). */
export const APP_OWNER = 'app';

/** The owner recorded for a run driven by one process (the CLI). */
export function processOwner(host: string, pid: number): string {
    return `process ${host} ${pid}`;
}

export interface BeginRunRequest extends MailboxFilter {
    /** Given by the orchestration, so that a repeated beginRun finds its run; new otherwise. */
    runId?: string;
    type: RunType;
    trigger: string;
    /** APP_OWNER or processOwner(...): who drives the run. */
    owner: string;
}

export interface BeginDeps extends StepDeps {
    /** Whether a process of this host is alive; runs of a dead one are recorded as abandoned. */
    isProcessAlive?: (pid: number) => boolean;
}

export interface RunPlan {
    runId: string;
    /** Mailboxes queued for backing up (skipped users and unknown names are recorded already). */
    mailboxCount: number;
}

/**
 * Discovers the mailboxes and records the run: a row per mailbox (queued, skipped, or failed for a name
 * that matches no user) and the queue the workers claim from. Repeating it for a recorded run id plans
 * that run again. A failed discovery is recorded as a failed run and thrown.
 */
export async function beginRun(deps: BeginDeps, request: BeginRunRequest): Promise<RunPlan> {
    const { storage, now } = deps;
    const existing = request.runId ? await storage.runs.getRun(request.runId) : undefined;
    if (existing) return planOf(existing);
    await closeAbandonedRuns(deps, request.owner);
    const startedAt = now();
    const runId = request.runId ?? newRunId(startedAt);
    const metrics = new GraphMetrics();
    let discovery: Discovery;
    try {
        discovery = await discoverMailboxes(new MailboxGraph(deps.client, 'directory', [metrics]), request);
    } catch (error) {
        const failure = toBackupError(error, 'listing the users of the tenant');
        const run = await storage.runs.startRun({ ...request, runId, now: startedAt });
        Object.assign(run, discoveryCounters(metrics), {
            status: 'failed',
            reason: failure.userMessage,
            endedAt: now().toISOString(),
        });
        await storage.runs.updateRun(run);
        deps.log.warn(runSummaryEvent(run));
        throw failure;
    }
    const at = startedAt.toISOString();
    const rows: MailboxRunEntity[] = [
        ...discovery.mailboxes.map((m) => mailboxRow(runId, m.id, m.userPrincipalName, 'queued', '', at)),
        ...discovery.skipped.map((u) => mailboxRow(runId, u.id, u.userPrincipalName, 'skipped', u.reason, at)),
        // An unknown name has no object id; its row is keyed by the name so it still shows in the run.
        ...discovery.unknown.map((name) =>
            mailboxRow(runId, toTableKey(name), name, 'failed', 'no such user in the tenant', at),
        ),
    ];
    await storage.runs.recordMailboxes(runId, rows);
    await storage.runs.enqueue(
        runId,
        discovery.mailboxes.map((m) => ({ mailboxId: m.id, ...withoutId(m) })),
    );
    const run = await storage.runs.startRun({ ...request, runId, now: startedAt });
    Object.assign(run, discoveryCounters(metrics), {
        mailboxesTotal: rows.length,
        mailboxesSkipped: discovery.skipped.length,
        mailboxesFailed: discovery.unknown.length,
    });
    await storage.runs.updateRun(run);
    for (const name of discovery.unknown) deps.log.warn(`${name}: no such user in the tenant`);
    deps.log.info(
        `run ${runId}: ${discovery.mailboxes.length} mailboxes queued, ` +
            `${discovery.skipped.length} skipped, ${discovery.unknown.length} unknown`,
    );
    return { runId, mailboxCount: discovery.mailboxes.length };
}

function planOf(run: RunEntity): RunPlan {
    if (run.status === 'failed' && run.mailboxesTotal === 0) throw new BackupError(run.reason ?? 'the run failed');
    return { runId: run.runId, mailboxCount: run.mailboxesTotal - run.mailboxesSkipped - run.mailboxesFailed };
}

/** Triggers of app runs recorded before runs had an owner. */
const APP_TRIGGERS = new Set(['timer', 'http']);
/** How far back abandoned runs are looked for. */
const ABANDONED_LOOKBACK_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * A run still `running` whose driver is gone was abandoned: it is recorded as failed, so history and
 * alerts do not show it running forever. Only a driver that can tell decides: the app (one app run at a
 * time, so any other app run is over) and a process whose host is this one and whose pid is dead.
 */
async function closeAbandonedRuns(deps: BeginDeps, owner: string): Promise<void> {
    const since = new Date(deps.now().getTime() - ABANDONED_LOOKBACK_MS);
    for await (const run of deps.storage.runs.listRuns(since)) {
        if (run.status !== 'running' || run.type === 'verify' || !isAbandoned(run, owner, deps.isProcessAlive)) {
            continue;
        }
        run.status = 'failed';
        run.reason =
            'abandoned: its driver ended before recording the result (terminated, killed, or failed in the host)';
        run.endedAt = deps.now().toISOString();
        await deps.storage.runs.updateRun(run);
        deps.log.warn(runSummaryEvent(run));
    }
}

function isAbandoned(run: RunEntity, owner: string, isProcessAlive?: (pid: number) => boolean): boolean {
    const theirs = run.owner ?? (APP_TRIGGERS.has(run.trigger) ? APP_OWNER : '');
    if (theirs === APP_OWNER) return owner === APP_OWNER;
    const [, host, pid] = /^process (\S+) (\d+)$/.exec(theirs) ?? [];
    const [, ownHost] = /^process (\S+) \d+$/.exec(owner) ?? [];
    return host !== undefined && host === ownHost && isProcessAlive !== undefined && !isProcessAlive(Number(pid));
}

/**
 * The next mailbox of the run's queue, marked running on its row; undefined when the queue is empty.
 * `claimers` is how many claim side by side: they pick among that many rows to rarely collide.
 */
export async function claimMailbox(
    deps: Pick<StepDeps, 'storage' | 'now'>,
    runId: string,
    claimers: number,
): Promise<Mailbox | undefined> {
    const queued = await deps.storage.runs.claimQueued(runId, claimers);
    if (!queued) return undefined;
    const { mailboxId, userPrincipalName, displayName, shared } = queued;
    await deps.storage.runs.markRunning(runId, mailboxId, deps.now().toISOString());
    return { id: mailboxId, userPrincipalName, displayName, shared };
}

export interface SliceRequest {
    runId: string;
    mailbox: Mailbox;
    options: BackupOptions;
    /** Minutes this slice may work before handing back its continuation; no limit when absent. */
    sliceMinutes?: number;
}

export interface SliceResult {
    /** `incomplete`: call again with the same request; the engine resumes at the folder and page it stopped at. */
    status: MailboxStatus;
    reason: string;
    counters: RunCounters;
    failures: FailedItem[];
}

/**
 * Backs up one mailbox, for at most `sliceMinutes`, and adds what it did to the mailbox's row. A mailbox
 * that failed stays `running` with its error as the reason: its driver retries it, or gives up on it with
 * recordMailboxFailure.
 */
export async function backUpMailboxSlice(deps: StepDeps, request: SliceRequest): Promise<SliceResult> {
    const { runId, mailbox } = request;
    const started = deps.now();
    const row =
        (await deps.storage.runs.getMailboxRun(runId, mailbox.id)) ??
        mailboxRow(runId, mailbox.id, mailbox.userPrincipalName, 'running', '', started.toISOString());
    const deadline = request.sliceMinutes === undefined ? undefined : started.getTime() + request.sliceMinutes * 60_000;
    const outcome = await backupMailbox(deps, { mailbox, runId, options: request.options, deadline });
    addCounters(row, outcome.counters);
    row.slices = (row.slices ?? 0) + 1;
    row.reason = outcome.reason;
    row.failedItems = listFailures(row.failedItems, outcome.failures);
    const finished = outcome.status !== 'incomplete' && outcome.status !== 'failed';
    row.status = finished ? (outcome.status as MailboxRunEntity['status']) : 'running';
    if (finished) row.endedAt = deps.now().toISOString();
    await deps.storage.runs.recordMailbox(row);
    if (finished) deps.log.info(mailboxSummaryEvent(row));
    return outcome;
}

/** Records a mailbox its driver gave up on; the last error of its slices, if any, stays its reason. */
export async function recordMailboxFailure(
    deps: Pick<StepDeps, 'storage' | 'now' | 'log'>,
    runId: string,
    mailbox: Mailbox,
    fallbackReason: string,
): Promise<void> {
    const now = deps.now().toISOString();
    const row =
        (await deps.storage.runs.getMailboxRun(runId, mailbox.id)) ??
        mailboxRow(runId, mailbox.id, mailbox.userPrincipalName, 'running', '', now);
    row.status = 'failed';
    row.reason = row.reason || fallbackReason;
    row.endedAt = now;
    await deps.storage.runs.recordMailbox(row);
    deps.log.warn(mailboxSummaryEvent(row));
}

/**
 * Totals the mailbox rows into the run's row and gives the run its final status. A run stopped before
 * its end (Ctrl-C, a terminated orchestration) is never `succeeded`: a mailbox left running is recorded
 * as partial (what it finished is kept; the next run continues it), one never started as failed.
 * Repeatable: the totals are computed afresh from the rows.
 */
export async function completeRun(deps: Pick<StepDeps, 'storage' | 'now' | 'log'>, runId: string): Promise<RunEntity> {
    const run = await deps.storage.runs.getRun(runId);
    if (!run) throw new Error(`run ${runId} is not in the run history`);
    const endedAt = deps.now().toISOString();
    const totals = emptyCounters();
    Object.assign(run, { mailboxesDone: 0, mailboxesSkipped: 0, mailboxesFailed: 0, mailboxesTotal: 0 });
    let anyPartial = false;
    for await (const row of deps.storage.runs.listMailboxRuns(runId)) {
        if (row.status === 'queued' || row.status === 'running') {
            await deps.storage.runs.recordMailbox(stopped(row, endedAt));
        }
        const status = row.status === 'queued' ? 'failed' : row.status === 'running' ? 'partial' : row.status;
        run.mailboxesTotal++;
        if (status === 'skipped') run.mailboxesSkipped++;
        else if (status === 'failed') run.mailboxesFailed++;
        else run.mailboxesDone++;
        anyPartial ||= status === 'partial';
        addCounters(totals, row);
    }
    Object.assign(run, totals);
    run.graphRequests += run.discoveryRequests ?? 0;
    run.graphThrottled += run.discoveryThrottled ?? 0;
    run.status = overallStatus(run, anyPartial);
    run.endedAt = endedAt;
    await deps.storage.runs.updateRun(run);
    if (run.status === 'succeeded') deps.log.info(runSummaryEvent(run));
    else deps.log.warn(runSummaryEvent(run));
    return run;
}

function stopped(row: MailboxRunEntity, endedAt: string): MailboxRunEntity {
    if (row.status === 'queued') {
        return { ...row, status: 'failed', reason: 'not started: the run stopped before reaching it', endedAt };
    }
    const reason = row.reason || 'stopped before it was finished; the next run continues where it stopped';
    return { ...row, status: 'partial', reason, endedAt };
}

function overallStatus(run: RunEntity, anyPartial: boolean): RunStatus {
    if (run.mailboxesFailed > 0 && run.mailboxesDone === 0) return 'failed';
    if (run.mailboxesFailed > 0 || anyPartial) return 'partial';
    return 'succeeded';
}

/**
 * The failed items on a mailbox row: those of earlier slices, then these (an item failing again is listed
 * once, with its latest error), as many as fit in the property; the count on the row stays exact.
 */
function listFailures(listed: string, failures: FailedItem[]): string {
    const items = new Map((JSON.parse(listed || '[]') as FailedItem[]).map((f) => [f.id, f]));
    const clip = (text: string) => (text.length > LISTED_TEXT ? `${text.slice(0, LISTED_TEXT)}…` : text);
    for (const f of failures) items.set(f.id, { ...f, subject: clip(f.subject), error: clip(f.error) });
    return jsonArrayWithin(items.values());
}

function discoveryCounters(metrics: GraphMetrics): Partial<RunEntity> {
    return {
        discoveryRequests: metrics.requests,
        discoveryThrottled: metrics.throttled,
        graphRequests: metrics.requests,
        graphThrottled: metrics.throttled,
    };
}

function withoutId(mailbox: Mailbox): Omit<Mailbox, 'id'> {
    const { id: _id, ...rest } = mailbox;
    return rest;
}

function mailboxRow(
    runId: string,
    mailboxId: string,
    userPrincipalName: string,
    status: MailboxRunEntity['status'],
    reason: string,
    at: string,
): MailboxRunEntity {
    const finished = status !== 'queued' && status !== 'running';
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
        ...emptyCounters(),
    };
}

function addCounters(target: RunCounters, add: RunCounters): void {
    for (const key of Object.keys(emptyCounters()) as (keyof RunCounters)[]) target[key] += add[key] ?? 0;
}
