/** The backup orchestration's activities: thin adapters from Durable inputs to the engine's run steps. */
import * as df from 'durable-functions';

import type { Mailbox } from '../common/mailbox';
import { DEFAULT_OPTIONS } from '../backup/options';
import {
    APP_OWNER,
    backUpMailboxSlice,
    beginRun,
    claimMailbox,
    completeRun,
    recordMailboxFailure,
} from '../backup/runSteps';
import { BackupError } from '../common/errors';
import type { RunType } from '../store/entities';
import type { BeginResult, SliceInput, SliceOutcome } from './backupOrchestrator';
import { functionLogger, getEngine } from './shared/engine';
import { ACTIVITIES } from './shared/names';

const now = () => new Date();

df.app.activity(ACTIVITIES.beginRun, {
    handler: async (
        input: { runId: string; type: RunType; trigger: string; include?: string[] },
        context,
    ): Promise<BeginResult> => {
        const engine = await getEngine();
        try {
            const plan = await beginRun(
                { ...engine, now, log: functionLogger(context) },
                { ...input, owner: APP_OWNER },
            );
            const workers = Math.max(1, Math.min(engine.settings.parallelMailboxes, plan.mailboxCount));
            return { ...plan, workers };
        } catch (error) {
            // Already recorded as a failed run (e.g. Graph refused the credentials): nothing to retry.
            if (error instanceof BackupError) return { runId: input.runId, failed: error.userMessage };
            throw error;
        }
    },
});

df.app.activity(ACTIVITIES.claimMailbox, {
    handler: async (input: { runId: string; claimers: number }): Promise<Mailbox | null> => {
        const engine = await getEngine();
        return (await claimMailbox({ ...engine, now }, input.runId, input.claimers)) ?? null;
    },
});

df.app.activity(ACTIVITIES.backUpSlice, {
    handler: async (input: SliceInput, context): Promise<SliceOutcome> => {
        const engine = await getEngine();
        const { settings } = engine;
        const result = await backUpMailboxSlice(
            { ...engine, now, log: functionLogger(context) },
            {
                runId: input.runId,
                mailbox: input.mailbox,
                options: { ...DEFAULT_OPTIONS, type: input.type, format: settings.format },
                sliceMinutes: settings.sliceMinutes,
            },
        );
        const { status, reason, counters } = result;
        context.log(
            `mailbackup.slice ${JSON.stringify({ runId: input.runId, mailbox: input.mailbox.userPrincipalName, status, ...counters })}`,
        );
        // A failure goes to the orchestration's retry policy; the failed items stay on the mailbox's row,
        // out of the orchestration's history.
        if (status === 'failed') throw new Error(reason);
        return { status, reason, counters };
    },
});

df.app.activity(ACTIVITIES.recordFailure, {
    handler: async (input: { runId: string; mailbox: Mailbox; reason: string }, context) => {
        const engine = await getEngine();
        await recordMailboxFailure(
            { ...engine, now, log: functionLogger(context) },
            input.runId,
            input.mailbox,
            input.reason,
        );
    },
});

df.app.activity(ACTIVITIES.completeRun, {
    handler: async (input: { runId: string }, context) => {
        const engine = await getEngine();
        return completeRun({ ...engine, now, log: functionLogger(context) }, input.runId);
    },
});
