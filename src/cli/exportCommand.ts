import { exportMailbox, type ExportFormat } from '../recovery/export';
import { findBackedUpMailbox } from '../recovery/pointInTime';
import type { CliEnvironment } from './environment';
import { formatBytes } from './format';
import { mailboxNotFound } from './recoveryInput';

export interface ExportCommandOptions {
    mailbox: string;
    out: string;
    asOf?: Date;
    folder?: string;
    format: ExportFormat;
    folders: boolean;
}

/** Listed in full up to this many; the count is always exact. */
const LISTED_FAILURES = 20;

/** Exports one mailbox's messages to files; exit 1 when some could not be exported. */
export async function exportCommand(environment: CliEnvironment, options: ExportCommandOptions): Promise<number> {
    const mailbox = await findBackedUpMailbox(environment.storage, options.mailbox);
    if (!mailbox) throw mailboxNotFound(options.mailbox);
    const summary = await exportMailbox(environment.storage, mailbox, {
        out: options.out,
        asOf: options.asOf,
        folder: options.folder,
        format: options.format,
        folders: options.folders,
    });
    const name = mailbox.userPrincipalName || mailbox.id;
    const point = summary.restorePoint;
    const lines = [
        point
            ? `${name} as of ${point.endedAt} (${point.type} backup ${point.runId}, ${point.status})`
            : `${name}, latest backed-up state`,
        `  exported: ${summary.messages} messages, ${formatBytes(summary.bytes)}, ` +
            `${summary.folders} ${options.format === 'mbox' ? 'mbox files' : 'folders'} in ${options.out}`,
    ];
    if (summary.skippedJsonOnly > 0) {
        lines.push(
            `  skipped:  ${summary.skippedJsonOnly} messages backed up with --format json only (no MIME to export)`,
        );
    }
    if (summary.failed.length > 0) {
        lines.push(`  failed:   ${summary.failed.length} messages`);
        for (const failure of summary.failed.slice(0, LISTED_FAILURES)) {
            lines.push(`    ${failure.folderPath}: "${failure.subject}" (${failure.messageId}): ${failure.error}`);
        }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return summary.failed.length > 0 ? 1 : 0;
}
