/**
 * Scheduled retention (`%CLEANUP_SCHEDULE%`, default Sundays 05:00 UTC, after the weekly full backup): what
 * left the mailboxes more than RETENTION_DAYS ago — deleted messages, superseded content versions, run
 * history — is removed, then the content no row names any more. RETENTION_DAYS=0 (the default) keeps
 * everything. The same engine as `cleanup --days N`; it skips the deletions while a backup run is going.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';

import { cleanup } from '../maintenance/cleanup';
import { functionLogger, getEngine } from './shared/engine';

export async function runScheduledCleanup(_timer: Timer, context: InvocationContext): Promise<void> {
    const { storage, settings } = await getEngine();
    if (settings.retentionDays === 0) {
        context.log('cleanup: RETENTION_DAYS is 0, so everything is kept and nothing was deleted');
        return;
    }
    const report = await cleanup(storage, {
        days: settings.retentionDays,
        now: new Date(),
        log: functionLogger(context),
    });
    const line = `mailbackup.cleanup ${JSON.stringify({ retentionDays: settings.retentionDays, ...report })}`;
    if (report.skipped) context.warn(line);
    else context.log(line);
}

app.timer('cleanupTimer', { schedule: '%CLEANUP_SCHEDULE%', handler: runScheduledCleanup });
