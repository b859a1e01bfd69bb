/** The backup orchestration's activities: thin adapters from Durable inputs to the engine's run steps. */
import * as df from 'durable-functions';

import type { Mailbox } from '../backup/mailboxContext';
import { DEFAULT_OPTIONS } from '../backup/options';
import { backUpMailboxSlice, beginRun, completeRun, loadBatch, recordMailboxFailure } from '../backup/runSteps';
import type { RunType } from '../store/entities';
import type { SliceInput } from './backupOrchestrator';
import { functionLogger, getEngine } from './shared/engine';
import { ACTIVITIES } from './shared/names';

const now = () => new Date();

df.app.activity(ACTIVITIES.beginRun, {
    handler: async (input: { runId: string; type: RunType; trigger: string; include?: string[] }, context) => {
        const engine = await getEngine();
        const log = functionLogger(context);
        return beginRun({ ...engine, now, log }, { ...input, parallel: engine.settings.parallelMailboxes });
    },
});

df.app.activity(ACTIVITIES.loadBatch, {
    handler: async (input: { runId: string; batch: number }) => {
        const engine = await getEngine();
        return loadBatch(engine, input.runId, input.batch);
    },
});

df.app.activity(ACTIVITIES.backUpSlice, {
    handler: async (input: SliceInput, context) => {
        const engine = await getEngine();
        const log = functionLogger(context);
        const { settings } = engine;
        const result = await backUpMailboxSlice(
            { ...engine, now, log },
            {
                runId: input.runId,
                batch: input.batch,
                mailbox: input.mailbox,
                options: { ...DEFAULT_OPTIONS, type: input.type, format: settings.format },
                sliceMinutes: settings.sliceMinutes,
            },
        );
        context.log(
            `mailbackup.slice ${JSON.stringify({ runId: input.runId, mailbox: input.mailbox.userPrincipalName, status: result.status, ...result.counters })}`,
        );
        return result;
    },
});

df.app.activity(ACTIVITIES.recordFailure, {
    handler: async (input: { runId: string; batch: number; mailbox: Mailbox; reason: string }, context) => {
        const engine = await getEngine();
        await recordMailboxFailure(
            { ...engine, now, log: functionLogger(context) },
            input.runId,
            input.mailbox,
            input.batch,
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
