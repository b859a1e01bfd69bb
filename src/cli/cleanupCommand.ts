import type { Logger } from '../common/logger';
import { cleanup } from '../maintenance/cleanup';
import type { CliEnvironment } from './environment';
import { formatBytes } from './format';

/** Applies the retention period and prints what was deleted; exit code 1 when part of it had to be skipped. */
export async function cleanupCommand(environment: CliEnvironment, options: { days: number }): Promise<number> {
    const report = await cleanup(environment.storage, { days: options.days, now: new Date(), log: stderrLog });
    const lines = [
        `Cleanup of what is older than ${days(options.days)} (before ${report.cutoff})`,
        `  storage:    ${environment.storageLabel}`,
        `  runs:       ${report.runsDeleted} deleted`,
        `  versions:   ${report.versionsDeleted} superseded versions deleted`,
        `  messages:   ${report.messagesDeleted} deleted messages purged (${report.attachmentsDeleted} attachment rows)`,
        `  blobs:      ${report.blobsDeleted} unreferenced blobs deleted, ${formatBytes(report.bytesFreed)} freed`,
    ];
    if (report.skipped) lines.push(`  skipped:    purging deleted messages and blobs, because ${report.skipped}`);
    process.stdout.write(lines.join('\n') + '\n');
    return report.skipped ? 1 : 0;
}

const stderrLog: Logger = {
    info: (message) => process.stderr.write(`${new Date().toISOString()} ${message}\n`),
    warn: (message) => process.stderr.write(`${new Date().toISOString()} WARN ${message}\n`),
};

function days(n: number): string {
    return n === 1 ? '1 day' : `${n} days`;
}
