/**
 * A backup run as a Durable orchestration. It reads like the plan:
 *   1. beginBackupRun discovers the mailboxes and records them as queued rows, in batches;
 *   2. batches run as sub-orchestrations, `parallel` at a time, each working through its mailboxes one
 *      after another, one time-budgeted slice at a time until a mailbox is finished;
 *   3. after each round of batches the orchestration continues as new, so its history stays small
 *      whatever the tenant's size;
 *   4. completeBackupRun totals the mailbox rows into the run's row and logs the run's summary.
 * Deterministic: no clock, randomness, settings or I/O here — activities do all of that.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

import type { Mailbox } from '../backup/mailboxContext';
import type { RunPlan, SliceResult } from '../backup/runSteps';
import type { RunEntity, RunType } from '../store/entities';
import { ACTIVITIES, ORCHESTRATIONS } from './shared/names';

export interface BackupRunInput {
    runId: string;
    type: RunType;
    trigger: string;
    /** Only these mailboxes (UPN or address); all when absent. */
    mailboxes?: string[];
    /** Carried across continueAsNew. */
    plan?: RunPlan;
    nextBatch?: number;
    progress?: RunProgress;
}

export interface RunProgress {
    mailboxesFinished: number;
    mailboxesFailed: number;
    messagesNew: number;
    messagesChanged: number;
    bytesDownloaded: number;
}

export interface BatchInput {
    runId: string;
    batch: number;
    type: RunType;
}

export interface SliceInput {
    runId: string;
    batch: number;
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

const backupRunOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
    const input = context.df.getInput<BackupRunInput>();
    const { runId } = input;
    let plan = input.plan;
    if (!plan) {
        context.df.setCustomStatus({ runId, type: input.type, phase: 'discovering mailboxes' });
        try {
            plan = (yield context.df.callActivityWithRetry(ACTIVITIES.beginRun, BOOKKEEPING_RETRY, {
                runId,
                type: input.type,
                trigger: input.trigger,
                include: input.mailboxes,
            })) as RunPlan;
        } catch (error) {
            // Nothing could be recorded (storage unreachable or settings wrong): say so where the alert looks.
            const reason = error instanceof Error ? error.message : String(error);
            if (!context.df.isReplaying) {
                context.error(
                    `mailbackup.run ${JSON.stringify({ runId, type: input.type, status: 'failed', reason })}`,
                );
            }
            return { runId, status: 'failed', reason };
        }
    }
    if (plan.failed) return { runId, status: 'failed', reason: plan.failed };

    const progress = { ...(input.progress ?? emptyProgress()) };
    const first = input.nextBatch ?? 0;
    if (first < plan.batchCount) {
        const last = Math.min(first + plan.parallel, plan.batchCount);
        context.df.setCustomStatus(describe(input, plan, progress, `backing up batches ${first + 1}-${last}`));
        const batches = [];
        for (let batch = first; batch < last; batch++) {
            const batchInput: BatchInput = { runId, batch, type: input.type };
            batches.push(context.df.callSubOrchestrator(ORCHESTRATIONS.backupBatch, batchInput, `${runId}-b${batch}`));
        }
        let next = last;
        try {
            const results = (yield context.df.Task.all(batches)) as RunProgress[];
            for (const result of results) addProgress(progress, result);
        } catch (error) {
            // A batch could not even record its mailboxes (storage kept failing): record the run with what
            // finished; completeBackupRun counts the mailboxes left queued or running as failed.
            if (!context.df.isReplaying)
                context.warn(`run ${runId}: a batch failed, recording the run as it stands: ${String(error)}`);
            next = plan.batchCount;
        }
        context.df.continueAsNew({ ...input, plan, nextBatch: next, progress });
        return undefined;
    }

    context.df.setCustomStatus(describe(input, plan, progress, 'recording the run'));
    const run = (yield context.df.callActivityWithRetry(ACTIVITIES.completeRun, BOOKKEEPING_RETRY, {
        runId,
    })) as RunEntity;
    context.df.setCustomStatus(describe(input, plan, progress, `finished: ${run.status}`));
    return summaryOf(run);
};

const backupBatchOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
    const { runId, batch, type } = context.df.getInput<BatchInput>();
    const mailboxes = (yield context.df.callActivityWithRetry(ACTIVITIES.loadBatch, BOOKKEEPING_RETRY, {
        runId,
        batch,
    })) as Mailbox[];
    const progress = emptyProgress();
    for (const mailbox of mailboxes) {
        context.df.setCustomStatus({ runId, batch, mailbox: mailbox.userPrincipalName, ...progress });
        let idleSlices = 0;
        let failure: string | undefined;
        for (;;) {
            let slice: SliceResult;
            try {
                const sliceInput: SliceInput = { runId, batch, type, mailbox };
                slice = (yield context.df.callActivityWithRetry(
                    ACTIVITIES.backUpSlice,
                    SLICE_RETRY,
                    sliceInput,
                )) as SliceResult;
            } catch {
                failure = `failed ${SLICE_RETRY.maxNumberOfAttempts} attempts in a row`;
                break;
            }
            progress.messagesNew += slice.counters.messagesNew;
            progress.messagesChanged += slice.counters.messagesChanged;
            progress.bytesDownloaded += slice.counters.bytesDownloaded;
            if (slice.status !== 'incomplete') break;
            idleSlices = madeProgress(slice) ? 0 : idleSlices + 1;
            if (idleSlices >= MAX_IDLE_SLICES) {
                failure = `made no progress in ${MAX_IDLE_SLICES} time slices in a row`;
                break;
            }
        }
        progress.mailboxesFinished++;
        if (failure !== undefined) {
            progress.mailboxesFailed++;
            yield context.df.callActivityWithRetry(ACTIVITIES.recordFailure, BOOKKEEPING_RETRY, {
                runId,
                batch,
                mailbox,
                reason: failure,
            });
        }
    }
    return progress;
};

df.app.orchestration(ORCHESTRATIONS.backupRun, backupRunOrchestrator);
df.app.orchestration(ORCHESTRATIONS.backupBatch, backupBatchOrchestrator);

function retry(firstRetryMs: number, attempts: number): df.RetryOptions {
    const options = new df.RetryOptions(firstRetryMs, attempts);
    options.backoffCoefficient = 2;
    return options;
}

function emptyProgress(): RunProgress {
    return { mailboxesFinished: 0, mailboxesFailed: 0, messagesNew: 0, messagesChanged: 0, bytesDownloaded: 0 };
}

function addProgress(target: RunProgress, add: RunProgress): void {
    for (const key of Object.keys(target) as (keyof RunProgress)[]) target[key] += add[key];
}

function madeProgress(slice: SliceResult): boolean {
    const c = slice.counters;
    return c.messagesNew + c.messagesChanged + c.messagesUpdated + c.messagesUnchanged + c.messagesDeleted > 0;
}

/** The custom status the portal and the status URL show while the run goes (kept far below its 16 KB limit). */
function describe(input: BackupRunInput, plan: RunPlan, progress: RunProgress, phase: string) {
    return {
        runId: input.runId,
        type: input.type,
        phase,
        mailboxesTotal: plan.mailboxCount,
        batches: plan.batchCount,
        ...progress,
    };
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
