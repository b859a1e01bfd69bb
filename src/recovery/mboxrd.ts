/**
 * The mboxrd format: messages one after another, each introduced by a `From ` line and followed by an
 * empty line. Inside a message, every line matching `^>*From ` gets one more '>', so a reader can tell
 * the separator from the text and undo the quoting exactly (unlike mboxo, which cannot tell ">From"
 * it added from one the sender wrote). https://www.loc.gov/preservation/digital/formats/fdd/fdd000385.shtml
 */
import { Transform, type TransformCallback } from 'node:stream';

const LF = 0x0a;
const GT = 0x3e;
const FROM = Buffer.from('From ');
const QUOTE = Buffer.from('>');

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The separator line before a message: `From - Thu Nov 26 02:15:07 2026`, the time in UTC (asctime). */
export function fromLine(receivedAt: string): string {
    const parsed = new Date(receivedAt);
    const date = Number.isNaN(parsed.getTime()) ? new Date(0) : parsed;
    const day = String(date.getUTCDate()).padStart(2, ' ');
    const time = date.toISOString().slice(11, 19);
    return `From - ${WEEKDAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${day} ${time} ${date.getUTCFullYear()}\n`;
}

/**
 * Quotes a message's lines for mboxrd as they stream through, holding at most the first bytes of one
 * line ('From ' being matched), so a message of any size passes in constant memory. Ends the output with
 * a newline and the empty line that ends the message.
 */
export class MboxrdQuote extends Transform {
    /** Deciding a line start: bytes of 'From ' matched so far after any '>'; undefined mid-line. */
    private matched: number | undefined = 0;
    private lastByte = LF;

    override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
        const out: Buffer[] = [];
        let pos = 0;
        while (pos < chunk.length) {
            if (this.matched === undefined) {
                const lf = chunk.indexOf(LF, pos);
                const end = lf === -1 ? chunk.length : lf + 1;
                out.push(chunk.subarray(pos, end));
                pos = end;
                if (lf !== -1) this.matched = 0;
                continue;
            }
            const byte = chunk[pos++] ?? 0;
            if (byte === GT && this.matched === 0) {
                // Leading '>' pass straight through: a '>' added later lands inside the same run of them.
                out.push(QUOTE);
            } else if (byte === FROM[this.matched]) {
                this.matched++;
                if (this.matched === FROM.length) {
                    out.push(QUOTE, FROM);
                    this.matched = undefined;
                }
            } else {
                out.push(FROM.subarray(0, this.matched), Buffer.of(byte));
                this.matched = byte === LF ? 0 : undefined;
            }
        }
        const bytes = Buffer.concat(out);
        if (bytes.length > 0) this.lastByte = bytes[bytes.length - 1] ?? this.lastByte;
        done(null, bytes);
    }

    override _flush(done: TransformCallback): void {
        const pending = this.matched ? FROM.subarray(0, this.matched) : Buffer.alloc(0);
        const last = pending.length > 0 ? (pending[pending.length - 1] ?? LF) : this.lastByte;
        done(null, Buffer.concat([pending, Buffer.from(last === LF ? '\n' : '\n\n')]));
    }
}
