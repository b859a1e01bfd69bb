/**
 * A restore as a Durable orchestration: restoreMailboxSlice works for at most a slice of time and is
 * called again with the same restore id until the restore is finished — the engine skips what an earlier
 * slice (or an earlier attempt of a slice) already restored, so nothing is restored twice.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

import type { RestoreOutcome } from '../restore/restoreMailbox';
import { ACTIVITIES, ORCHESTRATIONS } from './shared/names';
import { restoreEvent } from './shared/restoreEvents';
import type { RestoreInput } from './shared/restoreInput';

const SLICE_RETRY = new df.RetryOptions(30_000, 3);
SLICE_RETRY.backoffCoefficient = 2;
/** Slices in a row that restored nothing before the restore is given up as stuck. */
const MAX_IDLE_SLICES = 3;

const restoreOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
    const input = context.df.getInput<RestoreInput>();
    let restored = 0;
    let idle = 0;
    for (;;) {
        context.df.setCustomStatus({ restoreId: input.restoreId, messagesRestored: restored });
        let outcome: Omit<RestoreOutcome, 'failures'> & { failures: number };
        try {
            outcome = (yield context.df.callActivityWithRetry(
                ACTIVITIES.restoreSlice,
                SLICE_RETRY,
                input,
            )) as typeof outcome;
        } catch (error) {
            // The restore's row already says why (no write permission, unknown target, ...): the engine recorded it.
            const reason = error instanceof Error ? error.message : String(error);
            if (!context.df.isReplaying) {
                context.error(
                    restoreEvent(input, { status: 'failed', reason, counters: { messagesRestored: restored } }),
                );
            }
            return { restoreId: input.restoreId, status: 'failed', reason, counters: { messagesRestored: restored } };
        }
        restored += outcome.counters.messagesRestored;
        if (outcome.status !== 'incomplete')
            return { ...outcome, counters: { ...outcome.counters, messagesRestored: restored } };
        idle = outcome.counters.messagesRestored > 0 ? 0 : idle + 1;
        if (idle >= MAX_IDLE_SLICES) {
            const reason = 'made no progress in three slices';
            if (!context.df.isReplaying) {
                context.error(
                    restoreEvent(input, { status: 'failed', reason, counters: { messagesRestored: restored } }),
                );
            }
            return { ...outcome, status: 'failed', reason };
        }
    }
};

df.app.orchestration(ORCHESTRATIONS.restore, restoreOrchestrator);
