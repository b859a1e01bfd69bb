/** Exchange's upload limit per app and mailbox: 150 MB in any 5 minutes (docs/graph-behaviour.md, "Throttling"). */
export const UPLOAD_BYTES_PER_WINDOW = 150_000_000;
export const UPLOAD_WINDOW_MS = 5 * 60_000;

/**
 * The bytes written to one mailbox in the last window. A write waits here until its bytes fit, instead of
 * being sent and answered 429: a throttled upload has already cost its bytes on the wire, and Retry-After
 * would stall every lane of the mailbox at once.
 */
export class UploadBudget {
    private readonly sent: { at: number; bytes: number }[] = [];
    private used = 0;

    constructor(
        private readonly bytesPerWindow = UPLOAD_BYTES_PER_WINDOW,
        private readonly windowMs = UPLOAD_WINDOW_MS,
    ) {}

    /** Resolves once `bytes` more fit in the window, and counts them. A write larger than the budget waits for an empty window. */
    async reserve(bytes: number): Promise<void> {
        for (;;) {
            const now = Date.now();
            while (this.sent.length > 0 && now - this.sent[0]!.at >= this.windowMs)
                this.used -= this.sent.shift()!.bytes;
            const oldest = this.sent[0];
            if (!oldest || this.used + bytes <= this.bytesPerWindow) {
                this.sent.push({ at: now, bytes });
                this.used += bytes;
                return;
            }
            await new Promise((resolve) => setTimeout(resolve, oldest.at + this.windowMs - now));
        }
    }
}
