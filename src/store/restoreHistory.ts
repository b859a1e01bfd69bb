/**
 * The record of restores, in one table (`<prefix>restores`):
 *   PartitionKey 'restore', RowKey = restore id          RestoreEntity: what was asked, where it goes, how it ended
 *   PartitionKey = restore id, RowKey = source message    RestoredItemEntity: the message it became in the target
 * The item rows are what makes a restore safe to run again: a message whose row says `restored` is never
 * created twice, and one whose row says `created` (stopped while its attachments were being added) is
 * deleted from the target and created again.
 */
import type { TableClient } from '@azure/data-tables';

import { getRow, listPartition, toTableEntity, upsertRows } from './tableRows';
import { toTableKey } from './tableKeys';

const RESTORE_PARTITION = 'restore';

export type RestoreStatus = 'running' | 'succeeded' | 'partial' | 'failed' | 'incomplete';

export interface RestoreCounters {
    messagesRestored: number;
    /** Restored by an earlier call with the same restore id: nothing done. */
    messagesAlreadyRestored: number;
    messagesFailed: number;
    /** Attachments brought back in the nearest faithful form rather than exactly (docs/restore.md). */
    partsApproximated: number;
    bytesUploaded: number;
    graphRequests: number;
    graphThrottled: number;
}

export interface RestoreEntity extends RestoreCounters {
    partitionKey: 'restore';
    rowKey: string; // restore id
    restoreId: string;
    sourceMailboxId: string;
    targetMailboxId: string;
    targetUserPrincipalName: string;
    asOf: string; // ISO 8601: the point in time restored ('' = the latest backup at the time of the first call)
    folder: string; // '' = every folder
    messageId: string; // '' = every message
    rootFolderName: string; // 'Restored 2026-11-26 02:15:00 UTC'
    status: RestoreStatus;
    startedAt: string;
    endedAt: string;
    failedItems: string; // JSON array of {id, subject, folder, error}, first 50
    requestedBy: string; // Entra object id of the caller of POST /api/restores ('' = the CLI, or a row from before)
}

export interface RestoredItemEntity {
    partitionKey: string; // restore id
    rowKey: string; // toTableKey(source message id)
    sourceMessageId: string;
    sha256: string;
    targetMessageId: string;
    /**
     * creating: about to be created (recorded a batch of messages ahead), `targetMessageId` not known yet (a process
     * stopped here may or may not have created it: the next attempt looks for it by its restored-from property);
     * created: the message exists in the target, its attachments may not (written by earlier versions); restored:
     * complete.
     */
    state: 'creating' | 'created' | 'restored';
    updatedAt: string;
}

export type ItemRecord = Omit<RestoredItemEntity, 'partitionKey' | 'rowKey'> & { restoreId: string };

function itemRow(item: ItemRecord): RestoredItemEntity {
    const { restoreId, ...fields } = item;
    return { partitionKey: restoreId, rowKey: toTableKey(item.sourceMessageId), ...fields };
}

export function emptyRestoreCounters(): RestoreCounters {
    return {
        messagesRestored: 0,
        messagesAlreadyRestored: 0,
        messagesFailed: 0,
        partsApproximated: 0,
        bytesUploaded: 0,
        graphRequests: 0,
        graphThrottled: 0,
    };
}

export class RestoreHistory {
    constructor(private readonly table: TableClient) {}

    getRestore(restoreId: string): Promise<RestoreEntity | undefined> {
        return getRow<RestoreEntity>(this.table, RESTORE_PARTITION, restoreId);
    }

    async saveRestore(restore: RestoreEntity): Promise<void> {
        await this.table.upsertEntity(toTableEntity(restore), 'Replace');
    }

    /** Every message this restore has created in the target, by source message id. */
    async restoredItems(restoreId: string): Promise<Map<string, RestoredItemEntity>> {
        const items = new Map<string, RestoredItemEntity>();
        for await (const item of listPartition<RestoredItemEntity>(this.table, restoreId)) {
            items.set(item.sourceMessageId, item);
        }
        return items;
    }

    async recordItem(item: ItemRecord): Promise<void> {
        await this.table.upsertEntity(toTableEntity(itemRow(item)), 'Replace');
    }

    /** Records items of one restore in table transactions (one per hundred): one request where there were many. */
    async recordItems(restoreId: string, items: readonly Omit<ItemRecord, 'restoreId'>[]): Promise<void> {
        await upsertRows(
            this.table,
            restoreId,
            items.map((item) => itemRow({ ...item, restoreId })),
        );
    }
}
