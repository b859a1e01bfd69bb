import { computeStats, type MailboxStats, type RecentRun, type StatsReport } from '../maintenance/stats';
import type { CliEnvironment } from './environment';
import { formatBytes } from './format';

export interface StatsCommandOptions {
    days: number;
    json?: boolean;
}

/** Prints the report of the last `days` days, as text or JSON. */
export async function statsCommand(environment: CliEnvironment, options: StatsCommandOptions): Promise<number> {
    const report = await computeStats(environment.storage, { days: options.days, now: new Date() });
    const text = options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, environment.storageLabel);
    process.stdout.write(text);
    return 0;
}

function formatReport(report: StatsReport, storageLabel: string): string {
    const { runs, messages, bytes } = report;
    const lines = [
        `Backup statistics of the last ${days(report.days)} (since ${formatTime(report.since)})`,
        `  storage:    ${storageLabel}`,
        `  runs:       ${runs.total} (${runs.byStatus.succeeded} succeeded, ${runs.byStatus.partial} partial, ` +
            `${runs.byStatus.failed} failed, ${runs.byStatus.running} running); ` +
            `${runs.byType.full} full, ${runs.byType.incremental} incremental`,
        `  messages:   ${messages.backedUp} backed up (${messages.new} new, ${messages.changed} changed), ` +
            `${messages.unchanged} skipped as unchanged, ${messages.metadataUpdated} metadata updates, ` +
            `${messages.deleted} deleted, ${messages.failed} failed`,
        `  bytes:      ${formatBytes(bytes.downloaded)} downloaded, ${formatBytes(bytes.stored)} stored`,
        '',
        `Mailboxes (${report.mailboxes.length})`,
        ...indent(mailboxTable(report.mailboxes)),
        '',
        `Recent runs (${report.recentRuns.length})`,
        ...indent(runTable(report.recentRuns)),
        '',
        `Restore points (completed backups; export --as-of goes back to them)`,
        ...indent(restorePointTable(report.restorePoints)),
    ];
    return lines.join('\n') + '\n';
}

function mailboxTable(mailboxes: MailboxStats[]): string[] {
    if (mailboxes.length === 0) return ['none backed up yet'];
    return table(
        [
            ['MAILBOX', 'left'],
            ['MESSAGES', 'right'],
            ['DELETED', 'right'],
            ['SIZE', 'right'],
            ['LAST BACKED UP', 'left'],
        ],
        mailboxes.map((mailbox) => [
            mailbox.userPrincipalName || mailbox.mailboxId,
            String(mailbox.messages),
            String(mailbox.deleted),
            formatBytes(mailbox.bytes),
            mailbox.lastBackedUpAt ? formatTime(mailbox.lastBackedUpAt) : 'never',
        ]),
    );
}

function runTable(runs: RecentRun[]): string[] {
    if (runs.length === 0) return ['none'];
    return table(
        [
            ['RUN', 'left'],
            ['TYPE', 'left'],
            ['TRIGGER', 'left'],
            ['STATUS', 'left'],
            ['STARTED', 'left'],
            ['DURATION', 'right'],
            ['DONE/SKIP/FAIL', 'right'],
            ['NEW', 'right'],
            ['CHANGED', 'right'],
            ['DELETED', 'right'],
            ['DOWNLOADED', 'right'],
            ['STORED', 'right'],
        ],
        runs.map((run) => [
            run.runId,
            run.type,
            run.trigger,
            run.status,
            formatTime(run.startedAt),
            run.durationSeconds === null ? '-' : formatDuration(run.durationSeconds),
            `${run.mailboxes.done}/${run.mailboxes.skipped}/${run.mailboxes.failed}`,
            String(run.messages.new),
            String(run.messages.changed),
            String(run.messages.deleted),
            formatBytes(run.bytes.downloaded),
            formatBytes(run.bytes.stored),
        ]),
    );
}

function restorePointTable(mailboxes: StatsReport['restorePoints']): string[] {
    if (mailboxes.length === 0) return ['none'];
    return table(
        [
            ['MAILBOX', 'left'],
            ['POINTS', 'right'],
            ['PARTIAL', 'right'],
            ['OLDEST', 'left'],
            ['LATEST', 'left'],
        ],
        mailboxes.map(({ mailboxId, userPrincipalName, points }) => [
            userPrincipalName || mailboxId,
            String(points.length),
            String(points.filter((p) => p.status === 'partial').length),
            formatTime(points[0]?.endedAt ?? ''),
            formatTime(points.at(-1)?.endedAt ?? ''),
        ]),
    );
}

type Column = [title: string, align: 'left' | 'right'];

/** Columns padded to their widest cell, two spaces apart. */
function table(columns: Column[], rows: string[][]): string[] {
    const widths = columns.map(([title], i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
    const render = (cells: string[]) =>
        columns
            .map(([, align], i) => {
                const cell = cells[i] ?? '';
                const width = widths[i] ?? 0;
                return align === 'right' ? cell.padStart(width) : cell.padEnd(width);
            })
            .join('  ')
            .trimEnd();
    return [render(columns.map(([title]) => title)), ...rows.map(render)];
}

function indent(lines: string[]): string[] {
    return lines.map((line) => `  ${line}`);
}

/** `2026-11-26T02:15:07.123Z` → `2026-11-26 02:15 UTC`. */
function formatTime(iso: string): string {
    return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

function formatDuration(seconds: number): string {
    const total = Math.round(seconds);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
    if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
    return `${s}s`;
}

function days(n: number): string {
    return n === 1 ? '1 day' : `${n} days`;
}
