/**
 * Scheduled backups. The schedules are app settings (`%NAME%`, six-field NCRONTAB in UTC), so an
 * administrator can move the incremental to every 15 minutes without a deployment. No runOnStartup: it
 * would fire on every cold start and scale-out.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';

import { newRunId } from '../store/runHistory';
import type { RunType } from '../store/entities';
import type { BackupRunInput } from './backupOrchestrator';
import { BACKUP_INSTANCE_ID, ORCHESTRATIONS } from './shared/names';
import { startSingleton } from './shared/startRun';

export async function startScheduledBackup(
    type: RunType,
    client: df.DurableClient,
    context: InvocationContext,
): Promise<void> {
    const input: BackupRunInput = { runId: newRunId(new Date()), type, trigger: 'timer' };
    const result = await startSingleton(client, ORCHESTRATIONS.backupRun, BACKUP_INSTANCE_ID, input);
    if (result.started) {
        context.log(`started ${type} backup run ${input.runId}`);
        return;
    }
    const running = result.running?.input as BackupRunInput | undefined;
    context.warn(
        `skipped the scheduled ${type} backup: run ${running?.runId ?? '(unknown)'} (${running?.type ?? 'backup'}) ` +
            `started at ${String(result.running?.createdTime ?? '?')} is still going; the next schedule will try again`,
    );
}

df.app.client.timer('incrementalBackupTimer', {
    schedule: '%BACKUP_INCREMENTAL_SCHEDULE%',
    handler: (_timer: Timer, client, context) => startScheduledBackup('incremental', client, context),
});

df.app.client.timer('fullBackupTimer', {
    schedule: '%BACKUP_FULL_SCHEDULE%',
    handler: (_timer: Timer, client, context) => startScheduledBackup('full', client, context),
});
