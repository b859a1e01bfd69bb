/**
 * Per-folder sync state (`folders` table, PartitionKey = mailbox id, RowKey = toTableKey(folder id)):
 * the folder's place in the tree, the delta link to resume from, an interrupted sync's next link, when
 * the folder was last completed.
 *
 * One more row per mailbox, RowKey HIERARCHY_ROW_KEY, holds the mailbox's folder hierarchy delta link.
 * toTableKey escapes '~', so no folder's row key can be that one.
 */
import type { TableClient } from '@azure/data-tables';

import type { FolderEntity } from './entities';
import { getRow, listPartition, toTableEntity, upsertRows } from './tableRows';

export const HIERARCHY_ROW_KEY = '~hierarchy';

/** Where the mailbox's folder hierarchy delta stands. */
export interface HierarchyEntity {
    partitionKey: string; // mailbox id
    rowKey: typeof HIERARCHY_ROW_KEY;
    deltaLink: string; // '' until a round of the folder delta has been applied
    lastListedAt: string; // when the folders were last listed level by level, hidden ones included; '' never
    foldersOutsideDelta: number; // folders that listing found and a full round of the delta did not report
}

export class FolderStateStore {
    constructor(private readonly table: TableClient) {}

    /** The mailbox's folders, removed ones included. */
    async list(mailboxId: string): Promise<FolderEntity[]> {
        const folders: FolderEntity[] = [];
        for await (const row of listPartition<FolderEntity>(this.table, mailboxId)) {
            if (row.rowKey !== HIERARCHY_ROW_KEY) folders.push(row);
        }
        return folders;
    }

    async upsert(entity: FolderEntity): Promise<void> {
        await this.table.upsertEntity(toTableEntity(entity), 'Replace');
    }

    /** Upserts many folders of one mailbox in transactions; for a folder given twice, the last wins. */
    upsertMany(mailboxId: string, entities: FolderEntity[]): Promise<void> {
        return upsertRows(this.table, mailboxId, entities);
    }

    getHierarchy(mailboxId: string): Promise<HierarchyEntity | undefined> {
        return getRow<HierarchyEntity>(this.table, mailboxId, HIERARCHY_ROW_KEY);
    }

    async saveHierarchy(entity: HierarchyEntity): Promise<void> {
        await this.table.upsertEntity(toTableEntity(entity), 'Replace');
    }
}
