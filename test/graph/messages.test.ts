import { describe, expect, it } from 'vitest';

import { isPropertyTag, messageSize } from '../../src/graph/messages';

describe('extended property ids as Graph returns them', () => {
    it('reads the size whichever way Graph spells the id it returns', () => {
        for (const id of ['Integer 0xe08', 'Integer 0x0E08', 'integer 0x00000e08', 'INTEGER 0xE08']) {
            expect(messageSize({ id: 'm', singleValueExtendedProperties: [{ id, value: '4096' }] }), id).toBe(4096);
        }
    });

    it('does not take another property or type for the size', () => {
        const other = [
            { id: 'Integer 0xe07', value: '4' },
            { id: 'Long 0xe08', value: '4096' },
            { id: 'String {00020386-0000-0000-c000-000000000046} Name x-size', value: '9' },
        ];
        expect(messageSize({ id: 'm', singleValueExtendedProperties: other })).toBeUndefined();
        expect(isPropertyTag('Binary 0xe0a', { type: 'binary', tag: 0x0e0a })).toBe(true);
    });
});
