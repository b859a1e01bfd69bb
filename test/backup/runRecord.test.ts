import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { FailedItem } from '../../src/common/mailbox';
import { MAX_STRING_PROPERTY_BYTES } from '../../src/store/tableLimits';
import { createHarness, type Harness } from '../support/harness';
import type { SimMessage } from '../sim';

describe("a run's record of the messages it could not back up", () => {
    let h: Harness;

    beforeEach(async () => {
        h = await createHarness();
    });
    afterEach(async () => {
        vi.restoreAllMocks();
        await h.close();
    });

    function breakDownloadOf(message: SimMessage): void {
        message.chunks = function* () {
            yield Buffer.from('Received: from mx.contoso.com\r\nSubject: half');
            throw new Error('cannot be read');
        };
    }

    it('fits failed items with hostile subjects in the mailbox row, and the run still ends', async () => {
        const error = console.error;
        vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
            if (args[0] !== 'tenant simulator: request failed') error(...args);
        });
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        // Control characters are escaped to six characters each in JSON: 25 such subjects are some 300,000
        // characters, far beyond the 32,768 a table property holds.
        const hostile = (i: number) => `${i} ${'\u0001\u0002\u001b'.repeat(600)} ${'ü'.repeat(400)}`;
        const broken = Array.from({ length: 25 }, (_, i) => alice.addMessage('Inbox', { subject: hostile(i) }));
        broken.forEach(breakDownloadOf);
        alice.addMessage('Inbox', { subject: 'fine' });

        const { run } = await h.backup({ type: 'full' });

        expect(run).toMatchObject({ status: 'partial', messagesFailed: 25, messagesNew: 1 });
        const row = (await h.storage.runs.getMailboxRun(run.runId, alice.id))!;
        expect(row).toMatchObject({ status: 'partial', messagesFailed: 25 });
        expect(row.failedItems.length * 2).toBeLessThanOrEqual(MAX_STRING_PROPERTY_BYTES);
        const listed = JSON.parse(row.failedItems) as FailedItem[];
        expect(listed.length).toBeGreaterThan(0);
        expect(listed.length).toBeLessThan(25);
        const brokenIds = new Set(broken.map((m) => m.id));
        expect(listed.every((item) => brokenIds.has(item.id))).toBe(true);
    });
});
