import { afterEach, describe, expect, it } from 'vitest';

import { createFunctionsHarness, type FunctionsHarness } from '../support/durable/appHarness';
import { expectBackupMatches } from '../support/truth';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('the scheduled cleanup', () => {
    let h: FunctionsHarness;
    afterEach(async () => h.close());

    it('keeps everything while RETENTION_DAYS is 0, and drops what is older than it once set', async () => {
        h = await createFunctionsHarness({ settings: { RETENTION_DAYS: '0' } });
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        for (let i = 0; i < 4; i++) alice.addMessage('Inbox', { subject: `note ${i}` });
        const { run: recent } = await h.backup({ type: 'full' });
        const startedLongAgo = new Date(Date.now() - 400 * DAY_MS);
        const old = await h.storage.runs.startRun({ type: 'incremental', trigger: 'timer', now: startedLongAgo });
        await h.storage.runs.updateRun({ ...old, status: 'succeeded', endedAt: startedLongAgo.toISOString() });

        const kept = await h.timer('cleanupTimer');
        expect(kept.join('\n')).toMatch(/RETENTION_DAYS is 0.*nothing was deleted/);
        expect(await h.storage.runs.getRun(old.runId)).toBeDefined();

        process.env.RETENTION_DAYS = '365';
        const cleaned = await h.timer('cleanupTimer');
        const line = cleaned.find((l) => l.includes('mailbackup.cleanup '));
        expect(line, cleaned.join('\n')).toBeDefined();
        expect(JSON.parse(line!.slice(line!.indexOf('{')))).toMatchObject({ retentionDays: 365, runsDeleted: 1 });
        expect(await h.storage.runs.getRun(old.runId)).toBeUndefined();
        expect(await h.storage.runs.getRun(recent.runId)).toBeDefined();
        await expectBackupMatches(h.storage, alice);
    });
});
