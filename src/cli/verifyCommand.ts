import { InvalidArgumentError } from 'commander';

import { findBackedUpMailbox } from '../recovery/pointInTime';
import { recordVerifyRun, totalProblems, verifyBackup, type VerifyProblem } from '../maintenance/verify';
import type { CliEnvironment } from './environment';
import { formatBytes } from './format';
import { mailboxNotFound } from './recoveryInput';

export interface VerifyCommandOptions {
    mailbox?: string;
    sample: number;
}

/** `--sample`: a fraction of blobs to re-hash, 0 to 1. */
export function sampleFraction(value: string): number {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
        throw new InvalidArgumentError('must be a fraction from 0 to 1, e.g. 0.1 to re-hash a tenth of the content.');
    }
    return n;
}

/** Checks the stored content against the index; exit 1 when anything is wrong. Recorded as a 'verify' run. */
export async function verifyCommand(environment: CliEnvironment, options: VerifyCommandOptions): Promise<number> {
    const mailbox =
        options.mailbox === undefined ? undefined : await findBackedUpMailbox(environment.storage, options.mailbox);
    if (options.mailbox !== undefined && !mailbox) throw mailboxNotFound(options.mailbox);
    const report = await verifyBackup(environment.storage, { mailboxId: mailbox?.id, sample: options.sample });
    const run = await recordVerifyRun(environment.storage, report, 'cli');
    const problems = totalProblems(report);
    const counts = report.problemCounts;
    const lines = [
        `Verified ${report.mailboxes} mailboxes in ${environment.storageLabel} (run ${run.runId})`,
        `  rows:     ${report.rows.messages} messages, ${report.rows.versions} versions, ${report.rows.attachments} attachments`,
        `  content:  ${report.blobsHashed} blobs re-hashed (${formatBytes(report.bytesHashed)}, sample ${report.sample}); every blob's presence and size checked`,
        `  orphans:  ${report.orphansChecked ? `${counts.orphan} found` : `not checked: ${report.orphanNote}`}`,
        problems === 0
            ? '  no problems found'
            : `  PROBLEMS: ${problems} (${counts.missing} missing, ${counts.corrupt} corrupt, ${counts.dangling} dangling, ${counts.orphan} orphaned)`,
        ...report.problems.map(describeProblem),
    ];
    if (report.problems.length < problems) lines.push(`  ... and ${problems - report.problems.length} more`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return problems > 0 ? 1 : 0;
}

function describeProblem(problem: VerifyProblem): string {
    if (problem.kind === 'orphan') return `  orphan   ${problem.blob}: ${problem.detail}`;
    const mailbox = problem.userPrincipalName || problem.mailboxId;
    const where = `${mailbox} ${problem.folderPath || '(no folder)'}: "${problem.subject}" (${problem.messageId}), ${problem.entry}`;
    const blob = problem.blob ? ` ${problem.blob}` : '';
    return `  ${problem.kind.padEnd(8)} ${where}:${blob} ${problem.detail}`;
}
