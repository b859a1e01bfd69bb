import type { Client } from '@microsoft/microsoft-graph-client';

import { newRestoreId, restoreMailbox, type RestoreOutcome } from '../restore/restoreMailbox';
import type { CliEnvironment } from './environment';
import { formatBytes } from './format';
import { createReporter } from './progress';
import { EXIT_INTERRUPTED, stopOnSignal } from './stopOnSignal';

export interface RestoreCommandOptions {
    mailbox: string;
    to?: string;
    asOf?: Date;
    folder?: string;
    message?: string;
    restoreId?: string;
}

/** Restores and prints what happened; resolves to the exit code (0 only if every message was restored). */
export async function restoreCommand(
    environment: CliEnvironment,
    client: Client,
    options: RestoreCommandOptions,
): Promise<number> {
    const reporter = createReporter();
    const stop = stopOnSignal(reporter);
    let outcome: RestoreOutcome;
    try {
        outcome = await restoreMailbox(
            { client, storage: environment.storage, now: () => new Date(), log: reporter, signal: stop.signal },
            {
                restoreId: options.restoreId ?? newRestoreId(new Date()),
                source: options.mailbox,
                target: options.to,
                asOf: options.asOf,
                folder: options.folder,
                messageId: options.message,
            },
        );
    } finally {
        stop.dispose();
        reporter.stop();
    }
    process.stdout.write(formatOutcome(outcome, options.mailbox));
    if (stop.signal.aborted) return EXIT_INTERRUPTED;
    return outcome.status === 'succeeded' ? 0 : 1;
}

function formatOutcome(outcome: RestoreOutcome, source: string): string {
    const { counters } = outcome;
    const lines = [
        `Restore ${outcome.restoreId} ${outcome.status.toUpperCase()}`,
        `  from:       ${source}`,
        `  into:       ${outcome.targetUserPrincipalName}, folder "${outcome.rootFolderName}"`,
        `  messages:   ${counters.messagesRestored} restored, ${counters.messagesAlreadyRestored} restored before, ` +
            `${counters.messagesFailed} failed`,
        `  bytes:      ${formatBytes(counters.bytesUploaded)} of attachments uploaded`,
        // Parts Graph cannot create exactly (docs/restore.md): a forwarded message with attachments, as its .eml.
        ...(counters.partsApproximated > 0
            ? [`  attached:   ${counters.partsApproximated} in the nearest form Graph allows (see docs/restore.md)`]
            : []),
        `  graph:      ${counters.graphRequests} requests, ${counters.graphThrottled} throttled`,
    ];
    for (const item of outcome.failures.slice(0, 10)) {
        lines.push(`    could not restore "${item.subject}" in ${item.folder}: ${item.error}`);
    }
    if (outcome.status !== 'succeeded') {
        lines.push(`  to retry what is missing without duplicating anything: add --restore-id ${outcome.restoreId}`);
    }
    return lines.join('\n') + '\n';
}
