/**
 * A backup run as a Durable orchestration. It reads like the plan:
 *   1. beginBackupRun discovers the mailboxes and records them, queued;
 *   2. W worker sub-orchestrations each claim the next queued mailbox, back it up one time-budgeted slice
 *      at a time until it is finished, and claim again, until the queue is empty. A worker that finishes
 *      a mailbox claims the next at once, so W mailboxes are in flight while any are queued, and no
 *      worker waits for another's slow mailbox;
 *   3. each worker continues as new every few steps, so no execution's history grows with the tenant;
 *   4. completeBackupRun totals the mailbox rows into the run's row and logs the run's summary.
 * W is BACKUP_PARALLEL_MAILBOXES (docs/capacity.md argues its default). Deterministic: no clock,
 * randomness, settings or I/O here — activities do all of that.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

import type { Mailbox } from '../common/mailbox';
import type { SliceResult } from '../backup/runSteps';
import type { RunEntity, RunType } from '../store/entities';
import { ACTIVITIES, ORCHESTRATIONS } from './shared/names';

export interface BackupRunInput {
    runId: string;
    type: RunType;
    trigger: string;
    /** Only these mailboxes (UPN or address); all when absent. */
    mailboxes?: string[];
}

/** What beginBackupRun answers: the run planned, or why it could not start (already recorded). */
export type BeginResult = { runId: string; mailboxCount: number; workers: number } | { runId: string; failed: string };

export interface WorkerInput {
    runId: string;
    type: RunType;
    /** Workers claiming side by side (W). */
    workers: number;
    /** Carried across continueAsNew: the mailbox being backed up, if any, and what the worker has done. */
    current?: { mailbox: Mailbox; idleSlices: number };
    tally?: WorkerTally;
}

export interface WorkerTally {
    mailboxes: number;
    mailboxesFailed: number;
    messagesNew: number;
    bytesDownloaded: number;
}

/** A slice's result as the activity returns it: its failed items stay on the mailbox's row. */
export type SliceOutcome = Omit<SliceResult, 'failures'>;

export interface SliceInput {
    runId: string;
    type: RunType;
    mailbox: Mailbox;
}

/** Bookkeeping activities (table reads and writes): a storage hiccup is retried for about a minute. */
const BOOKKEEPING_RETRY = retry(5_000, 5);
/**
 * A mailbox slice that failed (Graph kept failing after the client's own retries, or another run held its
 * lock) is tried three more times, a minute, two and four minutes later; then the mailbox is recorded as failed.
 */
const SLICE_RETRY = retry(60_000, 4);
/** Slices in a row that finished nothing before a mailbox is given up as stuck. */
const MAX_IDLE_SLICES = 3;
/**
 * Claims and slices a worker execution performs before it continues as new: its history then holds at
 * most this many activities (with their retries), however many mailboxes the tenant has.
 */
export const STEPS_PER_EXECUTION = 20;

const backupRunOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
    const input = context.df.getInput<BackupRunInput>();
    const { runId, type } = input;
    context.df.setCustomStatus({ runId, type, phase: 'discovering mailboxes' });
    let plan: BeginResult;
    try {
        plan = (yield context.df.callActivityWithRetry(ACTIVITIES.beginRun, BOOKKEEPING_RETRY, {
            runId,
            type,
            trigger: input.trigger,
            include: input.mailboxes,
        })) as BeginResult;
    } catch (error) {
        // Nothing could be recorded (storage unreachable or settings wrong): say so where the alert looks.
        const reason = error instanceof Error ? error.message : String(error);
        if (!context.df.isReplaying) {
            context.error(`mailbackup.run ${JSON.stringify({ runId, type, status: 'failed', reason })}`);
        }
        return { runId, status: 'failed', reason };
    }
    if ('failed' in plan) return { runId, status: 'failed', reason: plan.failed };

    const { workers } = plan;
    context.df.setCustomStatus({
        runId,
        type,
        phase: `backing up ${plan.mailboxCount} mailboxes, ${workers} at a time`,
    });
    const running = [];
    for (let worker = 0; worker < workers; worker++) {
        const workerInput: WorkerInput = { runId, type, workers };
        running.push(context.df.callSubOrchestrator(ORCHESTRATIONS.backupWorker, workerInput, `${runId}-w${worker}`));
    }
    yield context.df.Task.all(running);

    context.df.setCustomStatus({ runId, type, phase: 'recording the run' });
    const run = (yield context.df.callActivityWithRetry(ACTIVITIES.completeRun, BOOKKEEPING_RETRY, {
        runId,
    })) as RunEntity;
    context.df.setCustomStatus({ runId, type, phase: `finished: ${run.status}` });
    return summaryOf(run);
};

/**
 * One of the run's W workers: claim a mailbox, back it up slice by slice, claim the next. It ends when the
 * queue is empty, and never fails: a mailbox that keeps failing is recorded failed and the worker goes on;
 * bookkeeping that keeps failing ends the worker (completeBackupRun records what it left).
 */
const backupWorkerOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
    const input = context.df.getInput<WorkerInput>();
    const { runId, type, workers } = input;
    const tally = { ...(input.tally ?? emptyTally()) };
    let current = input.current;
    for (let step = 0; step < STEPS_PER_EXECUTION; step++) {
        if (!current) {
            let mailbox: Mailbox | null;
            try {
                mailbox = (yield context.df.callActivityWithRetry(ACTIVITIES.claimMailbox, BOOKKEEPING_RETRY, {
                    runId,
                    claimers: workers,
                })) as Mailbox | null;
            } catch {
                return tally;
            }
            if (!mailbox) return tally;
            current = { mailbox, idleSlices: 0 };
            context.df.setCustomStatus({ runId, mailbox: mailbox.userPrincipalName, ...tally });
            continue;
        }
        const { mailbox } = current;
        let failure: string | undefined;
        try {
            const sliceInput: SliceInput = { runId, type, mailbox };
            const slice = (yield context.df.callActivityWithRetry(
                ACTIVITIES.backUpSlice,
                SLICE_RETRY,
                sliceInput,
            )) as SliceOutcome;
            tally.messagesNew += slice.counters.messagesNew;
            tally.bytesDownloaded += slice.counters.bytesDownloaded;
            if (slice.status === 'incomplete') {
                current.idleSlices = madeProgress(slice) ? 0 : current.idleSlices + 1;
                if (current.idleSlices < MAX_IDLE_SLICES) continue;
                failure = `made no progress in ${MAX_IDLE_SLICES} time slices in a row`;
            }
        } catch {
            failure = `failed ${SLICE_RETRY.maxNumberOfAttempts} attempts in a row`;
        }
        tally.mailboxes++;
        current = undefined;
        if (failure === undefined) continue;
        tally.mailboxesFailed++;
        try {
            yield context.df.callActivityWithRetry(ACTIVITIES.recordFailure, BOOKKEEPING_RETRY, {
                runId,
                mailbox,
                reason: failure,
            });
        } catch {
            return tally;
        }
    }
    context.df.continueAsNew({ ...input, current, tally });
    return undefined;
};

df.app.orchestration(ORCHESTRATIONS.backupRun, backupRunOrchestrator);
df.app.orchestration(ORCHESTRATIONS.backupWorker, backupWorkerOrchestrator);

function retry(firstRetryMs: number, attempts: number): df.RetryOptions {
    const options = new df.RetryOptions(firstRetryMs, attempts);
    options.backoffCoefficient = 2;
    return options;
}

function emptyTally(): WorkerTally {
    return { mailboxes: 0, mailboxesFailed: 0, messagesNew: 0, bytesDownloaded: 0 };
}

function madeProgress(slice: SliceOutcome): boolean {
    const c = slice.counters;
    return c.messagesNew + c.messagesChanged + c.messagesUpdated + c.messagesUnchanged + c.messagesDeleted > 0;
}

function summaryOf(run: RunEntity) {
    return {
        runId: run.runId,
        type: run.type,
        status: run.status,
        mailboxesTotal: run.mailboxesTotal,
        mailboxesDone: run.mailboxesDone,
        mailboxesSkipped: run.mailboxesSkipped,
        mailboxesFailed: run.mailboxesFailed,
        messagesNew: run.messagesNew,
        messagesChanged: run.messagesChanged,
        messagesDeleted: run.messagesDeleted,
        bytesStored: run.bytesStored,
    };
}
