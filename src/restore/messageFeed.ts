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

    /** The next message, or undefined when there are no more. */
    async next(): Promise<MessageAsOf | undefined> {
        for (;;) {
            const message = this.ready.shift();
            if (message) return message;
            if (this.exhausted) return undefined;
            this.filling ??= this.fill().finally(() => (this.filling = undefined));
            await this.filling;
        }
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
