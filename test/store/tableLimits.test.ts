import { describe, expect, it } from 'vitest';

import { jsonArrayWithin, MAX_STRING_PROPERTY_BYTES } from '../../src/store/tableLimits';

describe('jsonArrayWithin', () => {
    it('keeps the leading items whose JSON fits the bytes Table Storage counts (UTF-16)', () => {
        const items = Array.from({ length: 100 }, (_, i) => ({ id: i, subject: '\u0000'.repeat(100) }));

        const json = jsonArrayWithin(items, 4096);

        const kept = JSON.parse(json) as { id: number }[];
        expect(json.length * 2).toBeLessThanOrEqual(4096);
        expect(kept.map((k) => k.id)).toEqual(items.slice(0, kept.length).map((i) => i.id));
        const oneMore = JSON.stringify(items.slice(0, kept.length + 1));
        expect(oneMore.length * 2).toBeGreaterThan(4096);
    });

    it('counts characters outside the Basic Multilingual Plane as the two code units they take', () => {
        const emoji = '😀'.repeat(1000); // 2,000 UTF-16 code units, 4,000 bytes
        expect(JSON.parse(jsonArrayWithin([emoji, emoji], 8014))).toEqual([emoji, emoji]);
        expect(JSON.parse(jsonArrayWithin([emoji, emoji], 8013))).toEqual([emoji]);
    });

    it('answers an empty array when not even one item fits, and by default bounds to one property', () => {
        expect(jsonArrayWithin(['x'.repeat(40_000)])).toBe('[]');
        expect(MAX_STRING_PROPERTY_BYTES).toBe(65_536);
    });
});
