/**
 * The `stats` report: what the run history says about the last days, and what the index holds of
 * each mailbox. Plain data; the CLI renders it as text or JSON.
 */
import { allRestorePoints, type RestorePoint } from '../recovery/pointInTime';
import type { BackupType, RunEntity, RunStatus, RunType } from '../store/entities';
import type { RunHistory } from '../store/runHistory';
import type { BackupStorage } from '../store/storage';

export interface StatsReport {
    generatedAt: string;
    days: number;
    /** Runs that started at or after this instant are counted. */
    since: string;
    /** Backup runs; verify runs are only among recentRuns. */
    runs: { total: number; byStatus: Record<RunStatus, number>; byType: Record<BackupType, number> };
    messages: MessageTally;
    bytes: { downloaded: number; stored: number };
    /** Every mailbox the index holds messages of, by user principal name (then id). */
    mailboxes: MailboxStats[];
    /** The latest runs, newest first, whatever their age. */
    recentRuns: RecentRun[];
    /** Per mailbox of the run history, the backups `export --as-of` can go back to, oldest first. */
    restorePoints: { mailboxId: string; userPrincipalName: string; points: RestorePoint[] }[];
}

/** Sums over the runs of the period. */
export interface MessageTally {
    /** new + changed: messages whose content was downloaded and stored. */
    backedUp: number;
    new: number;
    changed: number;
    metadataUpdated: number;
    /** Already backed up with the same content: skipped without a download. */
    unchanged: number;
    deleted: number;
    failed: number;
}

export interface MailboxStats {
    mailboxId: string;
    /** From the latest run that backed the mailbox up; '' when no remaining run names it. */
    userPrincipalName: string;
    /** Messages still in the mailbox. */
    messages: number;
    /** Messages deleted from the mailbox whose backup is still kept. */
    deleted: number;
    /** Size of the current content of every message held, deleted ones included. */
    bytes: number;
    /** The last time a run stored or updated one of its messages; '' when never. */
    lastBackedUpAt: string;
}

export interface RecentRun {
    runId: string;
    type: RunType;
    trigger: string;
    status: RunStatus;
    startedAt: string;
    /** null while the run has not ended. */
    durationSeconds: number | null;
    mailboxes: { done: number; skipped: number; failed: number };
    messages: { new: number; changed: number; deleted: number };
    bytes: { downloaded: number; stored: number };
}

const RECENT_RUNS = 10;
/** How far back in the history a mailbox's user principal name is looked for. */
const RUNS_SEARCHED_FOR_NAMES = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

export async function computeStats(storage: BackupStorage, options: { days: number; now: Date }): Promise<StatsReport> {
    const since = new Date(options.now.getTime() - options.days * DAY_MS).toISOString();
    const newestFirst = await listRunsNewestFirst(storage.runs);
    const inPeriod = newestFirst.filter((run) => run.startedAt >= since && run.type !== 'verify');
    const mailboxes = await tallyMailboxes(storage);
    const points = await allRestorePoints(storage);
    const names = await userPrincipalNames(
        storage.runs,
        newestFirst.map((run) => run.runId),
        new Set([...mailboxes.keys(), ...points.keys()]),
    );
    return {
        generatedAt: options.now.toISOString(),
        days: options.days,
        since,
        runs: tallyRuns(inPeriod),
        messages: tallyMessages(inPeriod),
        bytes: {
            downloaded: sum(inPeriod, (run) => run.bytesDownloaded),
            stored: sum(inPeriod, (run) => run.bytesStored),
        },
        mailboxes: [...mailboxes.values()]
            .map((stats) => ({ ...stats, userPrincipalName: names.get(stats.mailboxId) ?? '' }))
            .sort(byName),
        recentRuns: newestFirst.slice(0, RECENT_RUNS).map(describeRun),
        restorePoints: [...points]
            .map(([mailboxId, list]) => ({ mailboxId, userPrincipalName: names.get(mailboxId) ?? '', points: list }))
            .sort((a, b) => (a.userPrincipalName || a.mailboxId).localeCompare(b.userPrincipalName || b.mailboxId)),
    };
}

export async function listRunsNewestFirst(runs: RunHistory): Promise<RunEntity[]> {
    const all: RunEntity[] = [];
    for await (const run of runs.listRuns()) all.push(run);
    // Run ids start with the start time, and runs are listed in row key order.
    return all.reverse();
}

/**
 * The user principal name each mailbox had in the latest run that recorded it. Only the mailbox rows
 * of the newest runs are read: every mailbox backed up lately is named there.
 */
export async function userPrincipalNames(
    runs: RunHistory,
    runIdsNewestFirst: readonly string[],
    mailboxIds: Iterable<string>,
): Promise<Map<string, string>> {
    const unnamed = new Set(mailboxIds);
    const names = new Map<string, string>();
    for (const runId of runIdsNewestFirst.slice(0, RUNS_SEARCHED_FOR_NAMES)) {
        if (unnamed.size === 0) break;
        for await (const row of runs.listMailboxRuns(runId)) {
            if (unnamed.delete(row.mailboxId)) names.set(row.mailboxId, row.userPrincipalName);
        }
    }
    return names;
}

async function tallyMailboxes(storage: BackupStorage): Promise<Map<string, Omit<MailboxStats, 'userPrincipalName'>>> {
    const mailboxes = new Map<string, Omit<MailboxStats, 'userPrincipalName'>>();
    for await (const row of storage.index.listAll(['partitionKey', 'size', 'deletedAt', 'lastSeenAt'])) {
        let stats = mailboxes.get(row.partitionKey);
        if (!stats) {
            stats = { mailboxId: row.partitionKey, messages: 0, deleted: 0, bytes: 0, lastBackedUpAt: '' };
            mailboxes.set(row.partitionKey, stats);
        }
        if (row.deletedAt) stats.deleted++;
        else stats.messages++;
        stats.bytes += row.size;
        if (row.lastSeenAt > stats.lastBackedUpAt) stats.lastBackedUpAt = row.lastSeenAt;
    }
    return mailboxes;
}

function tallyRuns(runs: RunEntity[]): StatsReport['runs'] {
    const byStatus: Record<RunStatus, number> = { running: 0, succeeded: 0, partial: 0, failed: 0 };
    const byType: Record<BackupType, number> = { full: 0, incremental: 0 };
    for (const run of runs) {
        byStatus[run.status]++;
        if (run.type !== 'verify') byType[run.type]++;
    }
    return { total: runs.length, byStatus, byType };
}

function tallyMessages(runs: RunEntity[]): MessageTally {
    const tally = {
        new: sum(runs, (run) => run.messagesNew),
        changed: sum(runs, (run) => run.messagesChanged),
        metadataUpdated: sum(runs, (run) => run.messagesUpdated),
        unchanged: sum(runs, (run) => run.messagesUnchanged),
        deleted: sum(runs, (run) => run.messagesDeleted),
        failed: sum(runs, (run) => run.messagesFailed),
    };
    return { backedUp: tally.new + tally.changed, ...tally };
}

function describeRun(run: RunEntity): RecentRun {
    return {
        runId: run.runId,
        type: run.type,
        trigger: run.trigger,
        status: run.status,
        startedAt: run.startedAt,
        durationSeconds: run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : null,
        mailboxes: { done: run.mailboxesDone, skipped: run.mailboxesSkipped, failed: run.mailboxesFailed },
        messages: { new: run.messagesNew, changed: run.messagesChanged, deleted: run.messagesDeleted },
        bytes: { downloaded: run.bytesDownloaded, stored: run.bytesStored },
    };
}

function byName(a: MailboxStats, b: MailboxStats): number {
    return (a.userPrincipalName || a.mailboxId).localeCompare(b.userPrincipalName || b.mailboxId);
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
    return items.reduce((total, item) => total + value(item), 0);
}
