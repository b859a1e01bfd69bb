import type { TableClient, TransactionAction } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';

import type { VersionEntity } from '../../src/store/entities';
import { IndexWriter } from '../../src/store/indexWriter';

/** A table that records the row keys it wrote and refuses the transactions `refuse` says no to. */
function fakeTable(refuse: () => boolean): { table: TableClient; written: Set<string> } {
    const written = new Set<string>();
    const submitTransaction = async (actions: TransactionAction[]) => {
        await new Promise((resolve) => setImmediate(resolve));
        if (refuse()) throw new Error('storage refused the transaction');
        for (const action of actions) written.add((action[1] as { rowKey: string }).rowKey);
    };
    return { table: { submitTransaction } as unknown as TableClient, written };
}

describe('the index writer', () => {
    it('loses no row when a transaction fails: those not written, sent or not, go with the next flush', async () => {
        let failures = 1;
        const versions = fakeTable(() => failures-- > 0);
        const other = fakeTable(() => false);
        const writer = new IndexWriter('mbx', {
            messages: other.table,
            versions: versions.table,
            attachments: other.table,
            placements: other.table,
        });
        const rowKeys = Array.from({ length: 1000 }, (_, n) => `m${n}`);
        for (const rowKey of rowKeys) writer.upsertVersion({ partitionKey: 'mbx', rowKey } as VersionEntity);

        await expect(writer.flush()).rejects.toThrow('storage refused');
        expect(versions.written.size + writer.pending).toBe(1000);

        await writer.flush();
        expect([...versions.written].sort()).toEqual([...rowKeys].sort());
        expect(writer.pending).toBe(0);
    });
});
