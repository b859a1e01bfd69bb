import { toBackupError } from '../graph/graphErrors';
import { forEachConcurrently } from '../graph/limiter';
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
import { type Discovery, discoverMailboxes, type MailboxFilter } from './discovery';
import { backupMailbox, type EngineDeps, type MailboxOutcome } from './mailboxBackup';
import type { Mailbox } from './mailboxContext';
import type { BackupOptions } from './options';

/** Mailboxes backed up side by side. Each has its own four Graph slots (graph-facts §9). */
export const DEFAULT_PARALLEL_MAILBOXES = 8;

/** Failed items listed on a mailbox's run row; the count is always exact. */
const LISTED_FAILURES = 50;

export interface RunRequest extends MailboxFilter {
    type: RunType;
    trigger: string;
    options: BackupOptions;
    parallelMailboxes?: number;
}

export interface RunSummary {
    run: RunEntity;
    discovery: Discovery;
    outcomes: { mailbox: Mailbox; outcome: MailboxOutcome }[];
}

/** A whole run from one process (the CLI): discover, back up every mailbox, record the history. */
export async function runBackup(deps: EngineDeps, request: RunRequest): Promise<RunSummary> {
    const metrics = deps.metrics ?? new GraphMetrics();
    const engine = { ...deps, metrics };
    const startedAt = deps.now();
    // Discovery first: wrong credentials or an unreachable Graph end the run before anything is
    // written, so a configuration mistake leaves no half-recorded run behind.
    let discovery: Discovery;
    try {
        discovery = await discoverMailboxes(new MailboxGraph(deps.client, 'directory', [metrics]), request);
    } catch (error) {
        throw toBackupError(error, 'listing the users of the tenant');
    }
    const run = await deps.storage.runs.startRun({ type: request.type, trigger: request.trigger, now: startedAt });
    run.mailboxesTotal = discovery.mailboxes.length + discovery.skipped.length + discovery.unknown.length;
    for (const user of discovery.skipped) {
        await recordSkipped(engine, run, user.id, user.userPrincipalName, user.reason);
    }
    for (const name of discovery.unknown) {
        run.mailboxesFailed++;
        deps.log.warn(`${name}: no such user in the tenant`);
    }
    const outcomes: RunSummary['outcomes'] = [];
    await forEachConcurrently(
        discovery.mailboxes,
        request.parallelMailboxes ?? DEFAULT_PARALLEL_MAILBOXES,
        async (mailbox) => {
            if (deps.signal?.aborted) return;
            const startedAt = deps.now().toISOString();
            const outcome = await backupMailbox(engine, { mailbox, runId: run.runId, options: request.options });
            await recordMailboxOutcome(engine, run, mailbox, outcome, startedAt);
            outcomes.push({ mailbox, outcome });
        },
    );
    if (deps.signal?.aborted && run.status === 'running') run.status = 'partial';
    const status = overallStatus(run);
    await finishRun(engine, run, status);
    return { run, discovery, outcomes };
}

/** Adds a mailbox's result to its run (counters, mailbox tally) and writes its history row. */
export async function recordMailboxOutcome(
    deps: Pick<EngineDeps, 'storage' | 'now' | 'log'>,
    run: RunEntity,
    mailbox: Mailbox,
    outcome: MailboxOutcome,
    startedAt: string,
): Promise<void> {
    if (outcome.status === 'skipped') run.mailboxesSkipped++;
    else if (outcome.status === 'failed') run.mailboxesFailed++;
    else run.mailboxesDone++;
    if (outcome.status === 'partial' || outcome.status === 'incomplete') run.status = 'partial';
    addCounters(run, outcome.counters);
    const row: MailboxRunEntity = {
        partitionKey: run.runId,
        rowKey: mailbox.id,
        mailboxId: mailbox.id,
        userPrincipalName: mailbox.userPrincipalName,
        status: outcome.status === 'incomplete' ? 'partial' : outcome.status,
        reason: outcome.reason,
        startedAt,
        endedAt: deps.now().toISOString(),
        failedItems: JSON.stringify(outcome.failures.slice(0, LISTED_FAILURES)),
        ...outcome.counters,
    };
    await deps.storage.runs.recordMailbox(row);
    const note = outcome.reason ? `: ${outcome.reason}` : '';
    if (outcome.status === 'failed') deps.log.warn(`${mailbox.userPrincipalName} failed${note}`);
    else deps.log.info(`${mailbox.userPrincipalName} ${outcome.status}${note}`);
}

async function recordSkipped(
    deps: Pick<EngineDeps, 'storage' | 'now' | 'log'>,
    run: RunEntity,
    id: string,
    userPrincipalName: string,
    reason: string,
): Promise<void> {
    const now = deps.now().toISOString();
    await recordMailboxOutcome(
        deps,
        run,
        { id, userPrincipalName, displayName: '', shared: false },
        { status: 'skipped', reason, counters: emptyCounters(), failures: [] },
        now,
    );
}

export function overallStatus(run: RunEntity): RunStatus {
    if (run.mailboxesFailed > 0 && run.mailboxesDone === 0) return 'failed';
    if (run.mailboxesFailed > 0 || run.status === 'partial') return 'partial';
    return 'succeeded';
}

export async function finishRun(
    deps: Pick<EngineDeps, 'storage' | 'now'> & { metrics?: GraphMetrics },
    run: RunEntity,
    status: RunStatus,
): Promise<void> {
    run.status = status;
    run.endedAt = deps.now().toISOString();
    if (deps.metrics) {
        run.graphRequests = deps.metrics.requests;
        run.graphThrottled = deps.metrics.throttled;
    }
    await deps.storage.runs.updateRun(run);
}

function addCounters(target: RunCounters, add: RunCounters): void {
    for (const key of Object.keys(add) as (keyof RunCounters)[]) {
        if (key === 'graphRequests' || key === 'graphThrottled') continue; // counted run-wide by the metrics
        target[key] += add[key];
    }
}
