/**
 * Queues one mailbox's index writes and submits them as entity group transactions: one request per
 * 100 rows of a table instead of one per row.
 *
 * Contract: upsert* only queue (nothing is sent); `flush()` sends everything queued and resolves once all
 * of it is durable; `flushIfFull()` flushes when a table's queue holds a full transaction. The caller
 * awaits `flushIfFull()` after each message and `flush()` at the end of a folder, so no write is ever in
 * flight unawaited. A row key queued twice before a flush is written once, with the last entity (a
 * transaction rejects two operations on one entity).
 */
import type { TableClient } from '@azure/data-tables';

import type { AttachmentEntity, MessageEntity, PlacementEntity, VersionEntity } from './entities';
import { assertPartition, submitInTransactions, TRANSACTION_LIMIT, toTableEntity, type TableRow } from './tableRows';

export interface IndexTables {
    messages: TableClient;
    versions: TableClient;
    attachments: TableClient;
    placements: TableClient;
}

class RowQueue {
    readonly rows = new Map<string, TableRow>();

    constructor(readonly table: TableClient) {}

    /** Takes back rows whose write failed, unless a newer row for the same key was queued meanwhile. */
    requeue(rows: readonly TableRow[]): void {
        for (const row of rows) if (!this.rows.has(row.rowKey)) this.rows.set(row.rowKey, row);
    }
}

export class IndexWriter {
    private readonly messages: RowQueue;
    private readonly versions: RowQueue;
    private readonly attachments: RowQueue;
    private readonly placements: RowQueue;
    // Flushes run one after another, so a flush resolves only after every earlier one has settled.
    private lastFlush: Promise<void> = Promise.resolve();

    constructor(
        readonly mailboxId: string,
        tables: IndexTables,
    ) {
        this.messages = new RowQueue(tables.messages);
        this.versions = new RowQueue(tables.versions);
        this.attachments = new RowQueue(tables.attachments);
        this.placements = new RowQueue(tables.placements);
    }

    upsertMessage(entity: MessageEntity): void {
        this.enqueue(this.messages, entity);
    }

    upsertVersion(entity: VersionEntity): void {
        this.enqueue(this.versions, entity);
    }

    upsertAttachment(entity: AttachmentEntity): void {
        this.enqueue(this.attachments, entity);
    }

    upsertPlacement(entity: PlacementEntity): void {
        this.enqueue(this.placements, entity);
    }

    /** Rows queued and not yet sent. */
    get pending(): number {
        return this.children.reduce((sum, queue) => sum + queue.rows.size, this.messages.rows.size);
    }

    flushIfFull(): Promise<void> {
        const full = [this.messages, ...this.children].some((queue) => queue.rows.size >= TRANSACTION_LIMIT);
        return full ? this.flush() : Promise.resolve();
    }

    /**
     * Sends everything queued. If it rejects, the rows that were not written are queued again, so a later
     * flush retries them.
     */
    flush(): Promise<void> {
        const flushed = this.lastFlush.then(() => this.submitQueued());
        this.lastFlush = flushed.catch(() => undefined);
        return flushed;
    }

    private get children(): RowQueue[] {
        return [this.versions, this.attachments, this.placements];
    }

    /**
     * Versions, attachments and placements go first and the message row last: the message row is what
     * tells the next run the message is backed up (or moved), so after a crash between the two the
     * message is simply stored (or moved) again: its blob deduplicates, and its version, attachment and
     * placement rows are overwritten with the same values.
     */
    private async submitQueued(): Promise<void> {
        const children = await Promise.allSettled(this.children.map((queue) => this.submit(queue)));
        const failed = children.find((result) => result.status === 'rejected');
        // Message rows must not get ahead of their versions: they stay queued for the next flush.
        if (failed) throw failed.reason;
        await this.submit(this.messages);
    }

    private async submit(queue: RowQueue): Promise<void> {
        const rows = [...queue.rows.values()];
        queue.rows.clear();
        await submitInTransactions(
            queue.table,
            rows,
            (row) => ['upsert', toTableEntity(row), 'Replace'],
            (failed) => queue.requeue(failed),
        );
    }

    private enqueue(queue: RowQueue, entity: TableRow): void {
        assertPartition(entity, this.mailboxId);
        queue.rows.set(entity.rowKey, entity);
    }
}
