import { describe, expect, it } from 'vitest';

import { formatBytes } from '../../src/cli/format';

describe('sizes as the CLI prints them', () => {
    it('counts in binary units with one decimal, and bytes as they are', () => {
        expect(formatBytes(0)).toBe('0 B');
        expect(formatBytes(1023)).toBe('1023 B');
        expect(formatBytes(1536)).toBe('1.5 KB');
        expect(formatBytes(5 * 1024 ** 2)).toBe('5.0 MB');
        expect(formatBytes(3.25 * 1024 ** 3)).toBe('3.3 GB');
    });

    it('stops at terabytes however large the backup', () => {
        expect(formatBytes(2048 * 1024 ** 4)).toBe('2048.0 TB');
    });
});
