import type { ItemRecord, RestoreHistory } from '../store/restoreHistory';

export type ItemState = Omit<ItemRecord, 'restoreId'>;

/** Rows per table write: a transaction holds at most 100. */
export const RECORD_BATCH = 50;

/**
 * Writes the restore's item rows a batch at a time (one table transaction each) instead of a request per row: two
 * or three single-row writes per message were a large share of a restore's CPU. Messages are recorded `creating`
 * before any of them is created, so a message Graph may have made is always findable afterwards by its
 * restored-from property; `restored` rows are written once a batch has gathered, and on flush().
 */
export class ItemRecorder {
    private pending: ItemState[] = [];

    constructor(
        private readonly history: RestoreHistory,
        private readonly restoreId: string,
    ) {}

    /** Records these messages as about to be created, in one write that ends before any of them is created. */
    async creating(items: ItemState[]): Promise<void> {
        await this.history.recordItems(this.restoreId, items);
    }

    /** Queues a completed message's row; the write happens once a batch has gathered, or on flush(). */
    async restored(item: ItemState): Promise<void> {
        this.pending.push(item);
        if (this.pending.length >= RECORD_BATCH) await this.flush();
    }

    async flush(): Promise<void> {
        const items = this.pending;
        this.pending = [];
        if (items.length > 0) await this.history.recordItems(this.restoreId, items);
    }
}
