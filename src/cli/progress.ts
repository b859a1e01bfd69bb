import { MultiBar, Presets, type SingleBar } from 'cli-progress';

import type { Logger } from '../common/logger';
import type { ProgressEvent } from '../backup/mailboxContext';

export interface Reporter extends Logger {
    progress(event: ProgressEvent): void;
    stop(): void;
}

/**
 * Progress bars on a terminal (one per mailbox, one overall), plain log lines otherwise, so a
 * scheduled run's log stays readable.
 */
export function createReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
    return stream.isTTY ? new BarReporter(stream) : new LineReporter(stream);
}

class LineReporter implements Reporter {
    constructor(private readonly stream: NodeJS.WritableStream) {}

    info(message: string): void {
        this.stream.write(`${new Date().toISOString()} ${message}\n`);
    }

    warn(message: string): void {
        this.stream.write(`${new Date().toISOString()} WARN ${message}\n`);
    }

    progress(event: ProgressEvent): void {
        if (event.kind === 'folders')
            this.info(`${event.mailbox}: ${event.total} folders, about ${event.messages} messages`);
    }

    stop(): void {}
}

class BarReporter implements Reporter {
    private readonly bars: MultiBar;
    private readonly overall: SingleBar;
    private readonly mailboxes = new Map<
        string,
        { bar: SingleBar; total: number; processed: number; downloaded: number }
    >();
    private downloaded = 0;

    constructor(stream: NodeJS.WriteStream) {
        this.bars = new MultiBar(
            {
                stream,
                format: '{name} |{bar}| {value}/{total} messages, {downloaded} downloaded',
                hideCursor: true,
                clearOnComplete: false,
                autopadding: true,
            },
            Presets.shades_classic,
        );
        this.overall = this.bars.create(0, 0, { name: 'all mailboxes'.padEnd(32), downloaded: 0 });
    }

    info(message: string): void {
        this.bars.log(`${message}\n`);
    }

    warn(message: string): void {
        this.bars.log(`WARN ${message}\n`);
    }

    progress(event: ProgressEvent): void {
        if (event.kind === 'folders') {
            const bar = this.bars.create(event.messages, 0, {
                name: event.mailbox.slice(0, 32).padEnd(32),
                downloaded: 0,
            });
            this.mailboxes.set(event.mailbox, { bar, total: event.messages, processed: 0, downloaded: 0 });
            this.overall.setTotal(this.overall.getTotal() + event.messages);
        } else if (event.kind === 'messages') {
            const entry = this.mailboxes.get(event.mailbox);
            if (!entry) return;
            entry.processed += event.processed;
            // Delta reports changes, not a known total: grow the bar when a mailbox holds more than expected.
            if (entry.processed > entry.total) entry.bar.setTotal((entry.total = entry.processed));
            entry.bar.update(entry.processed, { downloaded: event.downloaded });
            // The event carries the mailbox's running total: add what is new since its last event.
            this.downloaded += event.downloaded - entry.downloaded;
            entry.downloaded = event.downloaded;
            this.overall.increment(event.processed, { downloaded: this.downloaded });
        }
    }

    stop(): void {
        this.bars.stop();
    }
}
