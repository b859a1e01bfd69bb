import type { MessageAsOf } from '../recovery/pointInTime';
import { RECORD_BATCH } from './itemRecorder';

/**
 * The messages a restore call works through, shared by its lanes: taken from the index a batch at a time, each batch
 * recorded (`prepare`) before any of its messages is handed out. Messages `skip` says are done never reach a lane.
 */
export class MessageFeed {
    private ready: MessageAsOf[] = [];
    private filling: Promise<void> | undefined;
    private exhausted = false;

    constructor(
        private readonly source: AsyncIterator<MessageAsOf>,
        private readonly skip: (message: MessageAsOf) => boolean,
        private readonly prepare: (batch: MessageAsOf[]) => Promise<void>,
    ) {}

    /**
     * The next message, or undefined when there are no more. The next batch is prepared while the lanes still have
     * messages of this one, so they do not all wait for it.
     */
    async next(): Promise<MessageAsOf | undefined> {
        for (;;) {
            const message = this.ready.shift();
            if (this.ready.length < RECORD_BATCH / 2) this.startFilling();
            if (message) return message;
            if (this.exhausted) return undefined;
            await this.filling;
        }
    }

    /** Waits for a batch being prepared, so nothing is written after the call ends; its failure no longer matters. */
    async close(): Promise<void> {
        await this.filling?.catch(() => undefined);
    }

    private startFilling(): void {
        if (this.filling || this.exhausted) return;
        const filling = this.fill().finally(() => (this.filling = undefined));
        // Awaited by whichever lane next finds nothing ready; a failure reaches it there.
        filling.catch(() => undefined);
        this.filling = filling;
    }

    private async fill(): Promise<void> {
        const batch: MessageAsOf[] = [];
        while (batch.length < RECORD_BATCH) {
            const next = await this.source.next();
            if (next.done) {
                this.exhausted = true;
                break;
            }
            if (!this.skip(next.value)) batch.push(next.value);
        }
        if (batch.length > 0) await this.prepare(batch);
        this.ready.push(...batch);
    }
}
