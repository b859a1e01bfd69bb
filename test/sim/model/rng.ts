/** A small seeded PRNG (mulberry32), so a generated tenant is the same on every run with the same seed. */
export class Rng {
    private state: number;
    private scratch = Buffer.alloc(64);

    constructor(seed: number) {
        this.state = seed >>> 0;
    }

    /** Uniform in [0, 1). */
    next(): number {
        this.state = (this.state + 0x6d2b79f5) >>> 0;
        let t = this.state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }

    /** Uniform integer in [min, max]. */
    int(min: number, max: number): number {
        return min + Math.floor(this.next() * (max - min + 1));
    }

    chance(probability: number): boolean {
        return this.next() < probability;
    }

    pick<T>(items: readonly T[]): T {
        const item = items[Math.floor(this.next() * items.length)];
        if (item === undefined) throw new Error('pick from an empty list');
        return item;
    }

    bytes(length: number): Buffer {
        return Buffer.from(this.fill(length));
    }

    /**
     * URL-safe base64 of `length` random bytes, keeping '=' padding. Goes through one scratch buffer: a Buffer per
     * id would dominate garbage collection for 100,000 messages.
     */
    base64Url(length: number): string {
        return this.fill(length).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    }

    private fill(length: number): Buffer {
        if (this.scratch.length < length) this.scratch = Buffer.alloc(length);
        const out = this.scratch.subarray(0, length);
        for (let i = 0; i < length; i += 4) {
            const word = (this.next() * 4294967296) >>> 0;
            for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
        }
        return out;
    }

    guid(): string {
        const hex = this.bytes(16).toString('hex');
        const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
        return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    }
}
