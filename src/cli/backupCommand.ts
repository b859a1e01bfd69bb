import type { Client } from '@microsoft/microsoft-graph-client';

import { runBackup, type RunSummary } from '../backup/backupRun';
import type { BackupFormat } from '../backup/options';
import type { RunType } from '../store/entities';
import type { CliEnvironment } from './environment';
import { formatBytes } from './format';
import { createReporter } from './progress';
import { EXIT_INTERRUPTED, stopOnSignal } from './stopOnSignal';

export interface BackupCommandOptions {
    type: RunType;
    mailbox: string[];
    exclude: string[];
    format: BackupFormat;
    attachments: boolean;
    folders: boolean;
    maxEmails?: number;
    parallel: number;
}

/** Runs a backup and prints its summary; resolves to the exit code (0 only if every mailbox succeeded). */
export async function backupCommand(
    environment: CliEnvironment,
    client: Client,
    options: BackupCommandOptions,
): Promise<number> {
    const reporter = createReporter();
    const stop = stopOnSignal(reporter);
    let summary: RunSummary;
    try {
        summary = await runBackup(
            {
                client,
                signal: stop.signal,
                storage: environment.storage,
                now: () => new Date(),
                log: reporter,
                progress: (e) => reporter.progress(e),
            },
            {
                type: options.type,
                trigger: 'cli',
                include: options.mailbox,
                exclude: options.exclude,
                parallelMailboxes: options.parallel,
                options: {
                    type: options.type,
                    format: options.format,
                    attachments: options.attachments,
                    folders: options.folders,
                    maxMessages: options.maxEmails,
                },
            },
        );
    } finally {
        stop.dispose();
        reporter.stop();
    }
    process.stdout.write(formatSummary(summary, environment.storageLabel));
    if (stop.signal.aborted) return EXIT_INTERRUPTED;
    return summary.run.status === 'succeeded' ? 0 : 1;
}

function formatSummary({ run, mailboxes, outcomes }: RunSummary, storageLabel: string): string {
    const lines = [
        `Backup run ${run.runId} (${run.type}) ${run.status.toUpperCase()}`,
        `  storage:    ${storageLabel}`,
        `  mailboxes:  ${run.mailboxesDone} backed up, ${run.mailboxesSkipped} skipped, ${run.mailboxesFailed} failed`,
        `  messages:   ${run.messagesNew} new, ${run.messagesChanged} changed, ${run.messagesUpdated} metadata updates, ` +
            `${run.messagesUnchanged} unchanged, ${run.messagesDeleted} deleted, ${run.messagesFailed} failed`,
        `  bytes:      ${formatBytes(run.bytesDownloaded)} downloaded, ${formatBytes(run.bytesStored)} stored`,
        `  graph:      ${run.graphRequests} requests, ${run.graphThrottled} throttled`,
    ];
    for (const row of mailboxes) {
        if (row.status !== 'succeeded') lines.push(`  ${row.status} ${row.userPrincipalName}: ${row.reason}`);
    }
    for (const { mailbox, outcome } of outcomes) {
        for (const item of outcome.failures.slice(0, 10)) {
            lines.push(
                `    ${mailbox.userPrincipalName}: could not back up "${item.subject}" in ${item.folder}: ${item.error}`,
            );
        }
    }
    return lines.join('\n') + '\n';
}
