/**
 * Per-folder sync state (`folders` table, PartitionKey = mailbox id, RowKey = toTableKey(folder id)):
 * the delta link to resume from, an interrupted sync's next link, when the folder was last completed.
 */
import type { TableClient } from '@azure/data-tables';

import type { FolderEntity } from './entities';
import { listPartition, toTableEntity, upsertRows } from './tableRows';

export class FolderStateStore {
    constructor(private readonly table: TableClient) {}

    async list(mailboxId: string): Promise<FolderEntity[]> {
        const folders: FolderEntity[] = [];
        for await (const folder of listPartition<FolderEntity>(this.table, mailboxId)) folders.push(folder);
        return folders;
    }

    async upsert(entity: FolderEntity): Promise<void> {
        await this.table.upsertEntity(toTableEntity(entity), 'Replace');
    }

    /** Upserts many folders of one mailbox in transactions; for a folder given twice, the last wins. */
    upsertMany(mailboxId: string, entities: FolderEntity[]): Promise<void> {
        return upsertRows(this.table, mailboxId, entities);
    }
}
