/** Activities of the restore and verification orchestrations: thin adapters to the recovery engines. */
import * as df from 'durable-functions';

import { ConfigError } from '../common/errors';
import { recordVerifyRun, totalProblems, verifyBackup } from '../maintenance/verify';
import { restoreMailbox } from '../restore/restoreMailbox';
import { runSummaryEvent } from '../backup/runEvents';
import type { RestoreInput } from './shared/restoreInput';
import { functionLogger, getEngine } from './shared/engine';
import { ACTIVITIES } from './shared/names';
import { restoreEvent } from './shared/restoreEvents';
import { restoreRefusal } from './shared/restorePolicy';

df.app.activity(ACTIVITIES.restoreSlice, {
    handler: async (input: RestoreInput, context) => {
        // Whoever started the orchestration (the Durable API takes any input), the rules of POST /api/restores hold.
        const refused = restoreRefusal(input);
        if (refused) throw new ConfigError(`${refused.title}: ${refused.detail}`);
        const engine = await getEngine();
        const started = Date.now();
        const outcome = await restoreMailbox(
            { ...engine, now: () => new Date(), log: functionLogger(context) },
            { ...input, asOf: input.asOf ? new Date(input.asOf) : undefined },
            { deadline: started + engine.settings.sliceMinutes * 60_000 },
        );
        context.log(restoreEvent(input, { status: outcome.status, counters: outcome.counters }));
        // Failures are on the restore's row; the orchestration's history keeps only their number.
        return { ...outcome, failures: outcome.failures.length };
    },
});

df.app.activity(ACTIVITIES.verify, {
    handler: async (input: { trigger: string }, context) => {
        const { storage, settings } = await getEngine();
        const log = functionLogger(context);
        const report = await verifyBackup(storage, { sample: settings.verifySample }, log);
        const run = await recordVerifyRun(storage, report, input.trigger);
        for (const problem of report.problems.slice(0, 20)) {
            log.warn(
                `verify: ${problem.kind} ${problem.userPrincipalName} ${problem.folderPath} "${problem.subject}": ${problem.detail}`,
            );
        }
        if (run.status === 'succeeded') log.info(runSummaryEvent(run));
        else log.warn(runSummaryEvent(run));
        return {
            runId: run.runId,
            status: run.status,
            problems: totalProblems(report),
            blobsHashed: report.blobsHashed,
        };
    },
});
