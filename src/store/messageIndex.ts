/**
 * The checksum index: what we hold of every message, read before a download to decide whether the
 * content changed, and written after its blobs are stored.
 *
 * Tables (one partition per mailbox, PartitionKey = mailbox id):
 *   messages     RowKey toTableKey(message id)                      MessageEntity
 *   versions     RowKey versionRowKey(message id, version)          VersionEntity
 *   attachments  RowKey attachmentRowKey(message id, attachment id) AttachmentEntity
 *   placements   RowKey placementRowKey(message id, validFrom)      PlacementEntity
 * Invariant: an index row is written only after the blobs it names are stored, and stored blobs are
 * never partial (contentStore.ts), so an index row never points at a missing or half-written blob.
 */
import { odata } from '@azure/data-tables';

import { mapConcurrently } from '../common/concurrency';
import type { AttachmentEntity, MessageEntity, PlacementEntity, VersionEntity } from './entities';
import { IndexWriter, type IndexTables } from './indexWriter';
import { chunk, deleteRows, getRow, listPartition, listRows } from './tableRows';
import { messageRowKeyRange, toTableKey } from './tableKeys';

export { IndexWriter, type IndexTables } from './indexWriter';

/**
 * A query's $filter may hold at most 15 comparisons: the PartitionKey one and 14 RowKey ones.
 * https://learn.microsoft.com/rest/api/storageservices/querying-tables-and-entities#constructing-filter-strings
 */
const IDS_PER_QUERY = 14;
const PARALLEL_QUERIES = 4;

/**
 * `placements` row key: the message's key and when it arrived in the folder (ISO 8601, which sorts by
 * time). A placement closed again after a crash has the same start, so it overwrites its own row.
 */
export function placementRowKey(messageId: string, validFrom: string): string {
    return `${toTableKey(messageId)}~${validFrom}`;
}

type MessageField = keyof MessageEntity;

export class MessageIndex {
    constructor(private readonly tables: IndexTables) {}

    /** The index rows of those of `messageIds` that are indexed, by message id. */
    async getMany(mailboxId: string, messageIds: string[]): Promise<Map<string, MessageEntity>> {
        const found = new Map<string, MessageEntity>();
        const queries = chunk([...new Set(messageIds)], IDS_PER_QUERY);
        await mapConcurrently(queries, PARALLEL_QUERIES, async (ids) => {
            const rowKeys = ids.map((id) => odata`RowKey eq ${toTableKey(id)}`).join(' or ');
            const filter = `${odata`PartitionKey eq ${mailboxId}`} and (${rowKeys})`;
            for await (const entity of listRows<MessageEntity>(this.tables.messages, filter)) {
                found.set(entity.messageId, entity);
            }
        });
        return found;
    }

    get(mailboxId: string, messageId: string): Promise<MessageEntity | undefined> {
        return getRow<MessageEntity>(this.tables.messages, mailboxId, toTableKey(messageId));
    }

    /**
     * The mailbox's rows whose folderId is `folderId` (including messages marked deleted). With `select`,
     * only those properties are read, and the type says so.
     */
    listFolder<K extends MessageField = MessageField>(
        mailboxId: string,
        folderId: string,
        select?: K[],
    ): AsyncIterable<Pick<MessageEntity, K>> {
        const filter = odata`PartitionKey eq ${mailboxId} and folderId eq ${folderId}`;
        return listRows<Pick<MessageEntity, K>>(this.tables.messages, filter, select);
    }

    listMailbox<K extends MessageField = MessageField>(
        mailboxId: string,
        select?: K[],
    ): AsyncIterable<Pick<MessageEntity, K>> {
        return listPartition<Pick<MessageEntity, K>>(this.tables.messages, mailboxId, select);
    }

    /** Every row of every mailbox. */
    listAll<K extends MessageField = MessageField>(select?: K[]): AsyncIterable<Pick<MessageEntity, K>> {
        return listRows<Pick<MessageEntity, K>>(this.tables.messages, undefined, select);
    }

    /** The mailboxes with at least one row: the distinct partitions, reading only the keys. */
    async listMailboxIds(): Promise<string[]> {
        const ids = new Set<string>();
        for await (const row of this.listAll(['partitionKey'])) ids.add(row.partitionKey);
        return [...ids];
    }

    writer(mailboxId: string): IndexWriter {
        return new IndexWriter(mailboxId, this.tables);
    }

    /** The mailbox's versions, or one message's, in row key order (by message, then version). */
    listVersions(mailboxId: string, messageId?: string): AsyncIterable<VersionEntity> {
        return listRows<VersionEntity>(this.tables.versions, messageFilter(mailboxId, messageId));
    }

    listAttachments(mailboxId: string, messageId?: string): AsyncIterable<AttachmentEntity> {
        return listRows<AttachmentEntity>(this.tables.attachments, messageFilter(mailboxId, messageId));
    }

    /** The folders the mailbox's messages (or one message) have left, oldest first per message. */
    listPlacements(mailboxId: string, messageId?: string): AsyncIterable<PlacementEntity> {
        return listRows<PlacementEntity>(this.tables.placements, messageFilter(mailboxId, messageId));
    }

    /** Deletes version rows by row key; rows already gone are fine. */
    deleteVersions(mailboxId: string, rowKeys: string[]): Promise<void> {
        return deleteRows(this.tables.versions, mailboxId, rowKeys);
    }

    /** Deletes attachment rows by row key; rows already gone are fine. */
    deleteAttachments(mailboxId: string, rowKeys: string[]): Promise<void> {
        return deleteRows(this.tables.attachments, mailboxId, rowKeys);
    }

    /**
     * Deletes messages' index rows and their placement history; rows already gone are fine. Delete their
     * versions and attachments first: the message row is how a later cleanup finds them, so an
     * interrupted purge is simply repeated.
     */
    async deleteMessages(mailboxId: string, messageIds: string[]): Promise<void> {
        if (messageIds.length === 0) return;
        const purged = new Set(messageIds);
        const placementKeys: string[] = [];
        const rows = listRows<PlacementEntity>(this.tables.placements, messageFilter(mailboxId, undefined), [
            'rowKey',
            'messageId',
        ]);
        for await (const row of rows) {
            if (purged.has(row.messageId)) placementKeys.push(row.rowKey);
        }
        await deleteRows(this.tables.placements, mailboxId, placementKeys);
        await deleteRows(this.tables.messages, mailboxId, messageIds.map(toTableKey));
    }
}

function messageFilter(mailboxId: string, messageId: string | undefined): string {
    if (messageId === undefined) return odata`PartitionKey eq ${mailboxId}`;
    const { from, to } = messageRowKeyRange(messageId);
    return odata`PartitionKey eq ${mailboxId} and RowKey ge ${from} and RowKey lt ${to}`;
}
