/**
 * The record of backup runs.
 *   runs         PartitionKey 'run', RowKey = run id                  RunEntity
 *   mailboxruns  PartitionKey = run id, RowKey = mailbox id            MailboxRunEntity
 *                PartitionKey = `<run id>~queue`, RowKey = mailbox id  QueuedMailboxEntity, while the run goes
 * A run id is the run's start in UTC plus a random suffix, `20261126T021500Z-3f9a`, so row key order is
 * start order and "runs since" is a RowKey range.
 */
import { randomBytes } from 'node:crypto';

import { odata, type TableClient } from '@azure/data-tables';

import {
    emptyCounters,
    type MailboxRunEntity,
    type QueuedMailboxEntity,
    type RunEntity,
    type RunType,
} from './entities';
import { hasStatus } from './storageErrors';
import {
    deleteRow,
    deleteRows,
    fromTableEntity,
    getRow,
    listPartition,
    listRows,
    toTableEntity,
    upsertRows,
} from './tableRows';

const RUN_PARTITION = 'run';
/**
 * Rows a claim reads to pick from. Claims come as mailboxes finish, so few race at any moment: only the W
 * first claims of a run start together, and they sort themselves out in a few rounds.
 */
const MAX_CLAIM_SPREAD = 64;

export interface RunHistoryTables {
    runs: TableClient;
    mailboxRuns: TableClient;
}

export class RunHistory {
    constructor(private readonly tables: RunHistoryTables) {}

    /** Records a new run as 'running' with zero counters. */
    async startRun(run: {
        type: RunType;
        trigger: string;
        now?: Date;
        runId?: string;
        owner?: string;
    }): Promise<RunEntity> {
        const startedAt = run.now ?? new Date();
        const runId = run.runId ?? newRunId(startedAt);
        const entity: RunEntity = {
            partitionKey: RUN_PARTITION,
            rowKey: runId,
            runId,
            type: run.type,
            trigger: run.trigger,
            ...(run.owner === undefined ? {} : { owner: run.owner }),
            startedAt: startedAt.toISOString(),
            endedAt: '',
            status: 'running',
            mailboxesTotal: 0,
            mailboxesDone: 0,
            mailboxesSkipped: 0,
            mailboxesFailed: 0,
            ...emptyCounters(),
        };
        // Create, not upsert: two runs started in the same second with the same suffix must not merge.
        await this.tables.runs.createEntity(toTableEntity(entity));
        return entity;
    }

    async updateRun(run: RunEntity): Promise<void> {
        await this.tables.runs.upsertEntity(toTableEntity(run), 'Replace');
    }

    getRun(runId: string): Promise<RunEntity | undefined> {
        return getRow<RunEntity>(this.tables.runs, RUN_PARTITION, runId);
    }

    /** Runs in start order; with `since`, those started at or after it. */
    listRuns(since?: Date): AsyncIterable<RunEntity> {
        if (since === undefined) return listPartition<RunEntity>(this.tables.runs, RUN_PARTITION);
        const filter = odata`PartitionKey eq ${RUN_PARTITION} and RowKey ge ${compactTimestamp(since)}`;
        return listRows<RunEntity>(this.tables.runs, filter);
    }

    async recordMailbox(entity: MailboxRunEntity): Promise<void> {
        await this.tables.mailboxRuns.upsertEntity(toTableEntity(entity), 'Replace');
    }

    /** Writes many mailbox rows of one run in batched transactions. */
    async recordMailboxes(runId: string, rows: readonly MailboxRunEntity[]): Promise<void> {
        await upsertRows(this.tables.mailboxRuns, runId, rows);
    }

    getMailboxRun(runId: string, mailboxId: string): Promise<MailboxRunEntity | undefined> {
        return getRow<MailboxRunEntity>(this.tables.mailboxRuns, runId, mailboxId);
    }

    /** Marks a claimed mailbox running, in one write (a merge: the row's counters stay as they are). */
    async markRunning(runId: string, mailboxId: string, startedAt: string): Promise<void> {
        const status: MailboxRunEntity['status'] = 'running';
        await this.tables.mailboxRuns.upsertEntity(
            { partitionKey: runId, rowKey: mailboxId, status, startedAt },
            'Merge',
        );
    }

    /** Puts mailboxes in the run's queue, from which claimQueued hands each out once. */
    async enqueue(runId: string, mailboxes: readonly Omit<QueuedMailboxEntity, 'partitionKey' | 'rowKey'>[]) {
        const partitionKey = queuePartition(runId);
        const rows = mailboxes.map((m): QueuedMailboxEntity => ({ partitionKey, rowKey: m.mailboxId, ...m }));
        await upsertRows(this.tables.mailboxRuns, partitionKey, rows);
    }

    /**
     * Takes one mailbox out of the run's queue, or undefined when it is empty. Claimers racing for the
     * same row are told apart by a delete conditional on its ETag: exactly one delete succeeds. Each
     * claimer picks at random among the first `spread` rows (at most MAX_CLAIM_SPREAD), so claimers rarely
     * collide; those that do try another row.
     */
    async claimQueued(runId: string, spread: number): Promise<QueuedMailboxEntity | undefined> {
        const table = this.tables.mailboxRuns;
        const partitionKey = queuePartition(runId);
        for (;;) {
            const pages = table
                .listEntities<Record<string, unknown>>({
                    queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` },
                })
                .byPage({ maxPageSize: Math.max(1, Math.min(spread, MAX_CLAIM_SPREAD)) });
            const first = await pages.next();
            const page = first.done ? [] : first.value;
            if (page.length === 0) return undefined;
            const start = Math.floor(Math.random() * page.length);
            for (let i = 0; i < page.length; i++) {
                const candidate = page[(start + i) % page.length]!;
                try {
                    await table.deleteEntity(partitionKey, candidate.rowKey ?? '', { etag: candidate.etag });
                    return fromTableEntity<QueuedMailboxEntity>(candidate);
                } catch (error) {
                    // 404: another claimer deleted it first; 412: it changed since it was listed.
                    if (!hasStatus(error, 404) && !hasStatus(error, 412)) throw error;
                }
            }
        }
    }

    listMailboxRuns(runId: string): AsyncIterable<MailboxRunEntity> {
        return listPartition<MailboxRunEntity>(this.tables.mailboxRuns, runId);
    }

    /** Deletes a run, its mailbox rows and what is left of its queue; the run row goes last, so an interrupted delete can be repeated. */
    async deleteRun(runId: string): Promise<void> {
        for (const partitionKey of [queuePartition(runId), runId]) {
            const rowKeys: string[] = [];
            for await (const row of listPartition<MailboxRunEntity>(this.tables.mailboxRuns, partitionKey, [
                'rowKey',
            ])) {
                rowKeys.push(row.rowKey);
            }
            await deleteRows(this.tables.mailboxRuns, partitionKey, rowKeys);
        }
        await deleteRow(this.tables.runs, RUN_PARTITION, runId);
    }
}

/** A run id for a run starting at `startedAt`: its UTC start (sortable) and a random suffix. */
export function newRunId(startedAt: Date): string {
    return `${compactTimestamp(startedAt)}-${randomBytes(2).toString('hex')}`;
}

function queuePartition(runId: string): string {
    return `${runId}~queue`;
}

/** `2026-11-26T02:15:00.123Z` → `20261126T021500Z`. */
function compactTimestamp(date: Date): string {
    return `${date.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}
