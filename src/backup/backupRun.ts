/**
 * A whole run from one process (the CLI): an in-process scheduler of the run's steps (runSteps.ts), as
 * the Functions app's orchestration is a durable one. `parallelMailboxes` lanes each claim a mailbox, back
 * it up, and claim the next, until the queue is empty; no lane waits for another.
 */
import os from 'node:os';

import type { MailboxRunEntity, RunEntity, RunType } from '../store/entities';
import type { EngineDeps, MailboxOutcome } from './mailboxBackup';
import type { Logger } from '../common/logger';
import type { Mailbox } from '../common/mailbox';
import type { MailboxFilter } from './discovery';
import type { BackupOptions } from './options';
import { MAILBOX_EVENT, RUN_EVENT } from './runEvents';
import {
    backUpMailboxSlice,
    beginRun,
    claimMailbox,
    completeRun,
    processOwner,
    recordMailboxFailure,
    type StepDeps,
} from './runSteps';

/**
 * The CLI's mailboxes in flight (`--parallel`). Each has its own four Graph slots
 * (docs/graph-behaviour.md, "Throttling").
 */
export const DEFAULT_PARALLEL_MAILBOXES = 8;

export interface RunRequest extends MailboxFilter {
    type: RunType;
    trigger: string;
    options: BackupOptions;
    parallelMailboxes?: number;
}

export interface RunSummary {
    run: RunEntity;
    /** The run's mailbox rows, as recorded: skipped users and unknown names included. */
    mailboxes: MailboxRunEntity[];
    /** What backing up each claimed mailbox returned, with every item that failed. */
    outcomes: { mailbox: Mailbox; outcome: MailboxOutcome }[];
}

/**
 * Runs a backup to its end in this process. A mailbox that fails is recorded failed at once (the person
 * at the terminal reruns; the app's orchestration retries instead). When `deps.signal` aborts, lanes stop
 * claiming, the mailboxes in progress commit what they finished, and the run is completed as it stands.
 */
export async function runBackup(deps: EngineDeps, request: RunRequest): Promise<RunSummary> {
    const steps: StepDeps = { ...deps, log: withoutEvents(deps.log) };
    const plan = await beginRun(
        { ...steps, isProcessAlive },
        {
            type: request.type,
            trigger: request.trigger,
            include: request.include,
            exclude: request.exclude,
            owner: processOwner(os.hostname(), process.pid),
        },
    );
    const lanes = Math.max(1, Math.min(request.parallelMailboxes ?? DEFAULT_PARALLEL_MAILBOXES, plan.mailboxCount));
    const outcomes: RunSummary['outcomes'] = [];
    const lane = async () => {
        while (!deps.signal?.aborted) {
            const mailbox = await claimMailbox(steps, plan.runId, lanes);
            if (!mailbox) return;
            const outcome = await backUpMailboxSlice(steps, {
                runId: plan.runId,
                mailbox,
                options: request.options,
            });
            if (outcome.status === 'failed') await recordMailboxFailure(steps, plan.runId, mailbox, outcome.reason);
            outcomes.push({ mailbox, outcome });
            report(deps.log, mailbox, outcome);
        }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    const run = await completeRun(steps, plan.runId);
    const mailboxes: MailboxRunEntity[] = [];
    for await (const row of deps.storage.runs.listMailboxRuns(plan.runId)) mailboxes.push(row);
    return { run, mailboxes, outcomes };
}

function report(log: Logger, mailbox: Mailbox, outcome: MailboxOutcome): void {
    const note = outcome.reason ? `: ${outcome.reason}` : '';
    if (outcome.status === 'failed') log.warn(`${mailbox.userPrincipalName} failed${note}`);
    else log.info(`${mailbox.userPrincipalName} ${outcome.status}${note}`);
}

/** The steps' summary events are for Application Insights; on a terminal, report() says the same in words. */
function withoutEvents(log: Logger): Logger {
    const isEvent = (message: string) => message.startsWith(`${MAILBOX_EVENT} `) || message.startsWith(`${RUN_EVENT} `);
    return {
        info: (message) => (isEvent(message) ? undefined : log.info(message)),
        warn: (message) => (isEvent(message) ? undefined : log.warn(message)),
    };
}

function isProcessAlive(pid: number): boolean {
    try {
        process.kill(pid, 0); // signal 0: only asks whether the process exists
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
    }
}
