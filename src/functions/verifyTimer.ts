/**
 * The scheduled verification (`%VERIFY_SCHEDULE%`, default Saturdays 04:00 UTC): re-reads a sample
 * (VERIFY_SAMPLE) of the stored content against its recorded SHA-256 and size, checks that every index
 * entry has its content, and records the result as a run of type `verify` — failed when it found problems,
 * which the failed-run alert reports.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

import { ACTIVITIES, ORCHESTRATIONS, VERIFY_INSTANCE_ID } from './shared/names';
import { startSingleton } from './shared/startRun';

export async function startVerification(client: df.DurableClient, context: InvocationContext): Promise<void> {
    const result = await startSingleton(client, ORCHESTRATIONS.verify, VERIFY_INSTANCE_ID, { trigger: 'timer' });
    if (result.started) context.log('started the scheduled verification');
    else context.warn('skipped the scheduled verification: the previous one is still going');
}

const VERIFY_RETRY = new df.RetryOptions(60_000, 3);

const verifyOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
    const input = context.df.getInput<{ trigger: string }>();
    return (yield context.df.callActivityWithRetry(ACTIVITIES.verify, VERIFY_RETRY, input)) as unknown;
};

df.app.orchestration(ORCHESTRATIONS.verify, verifyOrchestrator);

df.app.client.timer('verifyTimer', {
    schedule: '%VERIFY_SCHEDULE%',
    handler: (_timer: Timer, client, context) => startVerification(client, context),
});
