/**
 * Our entities in and out of Table Storage, shared by the index, folder state and run history:
 * type mapping, listing, and writes batched into entity group transactions.
 */
import { odata, type TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';

import { isNotFound } from './storageErrors';
import { forEachConcurrently } from '../common/concurrency';

export interface TableRow {
    partitionKey: string;
    rowKey: string;
}

/**
 * A transaction holds at most 100 operations, all in one partition, at most one per entity.
 * https://learn.microsoft.com/rest/api/storageservices/performing-entity-group-transactions
 */
export const TRANSACTION_LIMIT = 100;
const PARALLEL_TRANSACTIONS = 4;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
// Added by the service or the SDK to every entity read; not part of our entities.
const READ_METADATA = ['etag', 'timestamp', 'odata.metadata'];

/**
 * The service stores an untyped JSON number as Edm.Int32, or Edm.Double if it has a fraction, so a
 * counter past 2^31 (bytes of a large mailbox) would not fit. Those are sent as Edm.Double, which holds
 * integers exactly up to 2^53 and reads back as a plain number (Edm.Int64 would read back as a bigint).
 */
export function toTableEntity(row: TableRow): Record<string, unknown> & TableRow {
    const entity: Record<string, unknown> & TableRow = { ...row };
    for (const [name, value] of Object.entries(row)) {
        if (typeof value === 'number' && Number.isInteger(value) && (value < INT32_MIN || value > INT32_MAX)) {
            entity[name] = { value, type: 'Double' };
        }
    }
    return entity;
}

/** An entity as read back, without the service's metadata. The table's schema is ours, hence the cast. */
export function fromTableEntity<T>(result: TableEntityResult<Record<string, unknown>>): T {
    const entity: Record<string, unknown> = { ...result };
    for (const name of READ_METADATA) delete entity[name];
    return entity as T;
}

export async function getRow<T>(table: TableClient, partitionKey: string, rowKey: string): Promise<T | undefined> {
    try {
        return fromTableEntity<T>(await table.getEntity<Record<string, unknown>>(partitionKey, rowKey));
    } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
    }
}

export async function* listRows<T>(table: TableClient, filter?: string, select?: readonly string[]): AsyncIterable<T> {
    const queryOptions = { filter, select: select ? [...select] : undefined };
    for await (const result of table.listEntities<Record<string, unknown>>({ queryOptions })) {
        yield fromTableEntity<T>(result);
    }
}

export function listPartition<T>(table: TableClient, partitionKey: string, select?: readonly string[]) {
    return listRows<T>(table, odata`PartitionKey eq ${partitionKey}`, select);
}

/** Upserts (replace) rows of one partition; for a row key given twice, the last row wins. */
export async function upsertRows(table: TableClient, partitionKey: string, rows: readonly TableRow[]): Promise<void> {
    const latest = new Map<string, TableRow>();
    for (const row of rows) {
        assertPartition(row, partitionKey);
        latest.set(row.rowKey, row);
    }
    await submitInTransactions(table, [...latest.values()], (row) => ['upsert', toTableEntity(row), 'Replace']);
}

/**
 * Deletes rows of one partition; rows already gone are fine. A transaction fails as a whole when one of
 * its entities is missing, so such a batch is retried one entity at a time.
 */
export async function deleteRows(table: TableClient, partitionKey: string, rowKeys: readonly string[]): Promise<void> {
    const rows = [...new Set(rowKeys)].map((rowKey) => ({ partitionKey, rowKey }));
    await forEachConcurrently(chunk(rows, TRANSACTION_LIMIT), PARALLEL_TRANSACTIONS, async (batch) => {
        try {
            await table.submitTransaction(batch.map((row): TransactionAction => ['delete', row]));
        } catch (error) {
            if (!isNotFound(error)) throw error;
            for (const row of batch) await deleteRow(table, row.partitionKey, row.rowKey);
        }
    });
}

export async function deleteRow(table: TableClient, partitionKey: string, rowKey: string): Promise<void> {
    try {
        await table.deleteEntity(partitionKey, rowKey);
    } catch (error) {
        if (!isNotFound(error)) throw error;
    }
}

/**
 * Runs `rows` (distinct row keys, one partition) as transactions of at most TRANSACTION_LIMIT. When one
 * fails, no further transaction is started, and `onFailure` gets every batch that was not written: the
 * failed ones and those never sent.
 */
export async function submitInTransactions<R extends TableRow>(
    table: TableClient,
    rows: readonly R[],
    action: (row: R) => TransactionAction,
    onFailure?: (batch: readonly R[]) => void,
): Promise<void> {
    const unwritten = new Set(chunk(rows, TRANSACTION_LIMIT));
    try {
        await forEachConcurrently([...unwritten], PARALLEL_TRANSACTIONS, async (batch) => {
            await table.submitTransaction(batch.map(action));
            unwritten.delete(batch);
        });
    } catch (error) {
        for (const batch of unwritten) onFailure?.(batch);
        throw error;
    }
}

export function assertPartition(row: TableRow, partitionKey: string): void {
    if (row.partitionKey !== partitionKey) {
        throw new Error(`Row ${row.rowKey} belongs to partition ${row.partitionKey}, not ${partitionKey}`);
    }
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
    const chunks: T[][] = [];
    for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
    return chunks;
}
