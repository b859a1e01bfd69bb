import { ContainerClient } from '@azure/storage-blob';
import { afterEach, describe, expect, it } from 'vitest';

import { createFunctionsHarness, type FunctionsHarness } from '../support/durable/appHarness';
import { testConnectionString } from '../support/storage';
import { indexOf } from '../support/truth';
import { expectRestored } from '../restore/support';

describe('restore and verification in the Functions app', () => {
    let h: FunctionsHarness;
    afterEach(async () => h.close());

    async function backedUpTenant() {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addFolder('Inbox', 'Projects');
        for (let i = 0; i < 6; i++) alice.addMessage(i % 2 ? 'Inbox' : 'Inbox/Projects', { subject: `note ${i}` });
        const bob = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
        const { run } = await h.backup({ type: 'full' });
        expect(run.status).toBe('succeeded');
        return { alice, bob };
    }

    it('refuses restores until the administrator turns them on, naming what to do', async () => {
        h = await createFunctionsHarness({ settings: { RESTORE_ENABLED: 'false' } });
        const response = await h.http('startRestore', { method: 'POST', path: 'restores', body: '{"source":"a@b.c"}' });
        expect(response.status).toBe(403);
        expect((response.jsonBody as { detail: string }).detail).toMatch(/Mail\.ReadWrite.*RESTORE_ENABLED=true/);
        expect(h.extension.starts).toHaveLength(0);
    });

    it('restores a mailbox into another through POST /api/restores, as non-drafts under a new folder tree', async () => {
        h = await createFunctionsHarness({ settings: { RESTORE_ENABLED: 'true' } });
        const { alice, bob } = await backedUpTenant();

        for (const body of [
            '{}',
            '{"source":""}',
            '{"source":"alice@contoso.com","asOf":"yesterday"}',
            '{"source":"x","to":"y"}',
            '{"source":"nobody@contoso.com"}',
        ]) {
            expect((await h.http('startRestore', { method: 'POST', path: 'restores', body })).status, body).toBe(400);
        }
        const started = await h.http('startRestore', {
            method: 'POST',
            path: 'restores',
            body: JSON.stringify({ source: alice.upn, target: bob.upn }),
        });
        expect(started.status).toBe(202);
        const instance = await h.extension.finished('mailbox-restore');
        const outcome = instance.output as {
            status: string;
            rootFolderName: string;
            counters: { messagesRestored: number };
        };
        expect(outcome).toMatchObject({ status: 'succeeded', counters: { messagesRestored: 6 } });
        expectRestored(bob, outcome.rootFolderName, alice.messages());
        expect(bob.messages().every((m) => !m.isDraft)).toBe(true);
    });

    it('refuses an asOf the calendar does not have with a 400 that names the field, and starts nothing', async () => {
        h = await createFunctionsHarness({ settings: { RESTORE_ENABLED: 'true' } });

        for (const asOf of ['2026-02-30T00:00:00Z', '2026-04-31', 'yesterday']) {
            const response = await h.http('startRestore', {
                method: 'POST',
                path: 'restores',
                body: JSON.stringify({ source: 'alice@contoso.com', asOf }),
            });
            expect(response.status, asOf).toBe(400);
            const { detail } = response.jsonBody as { detail: string };
            expect(detail, asOf).toMatch(/^"asOf": ".*"/);
            expect(detail, asOf).toContain(`"${asOf}"`);
            expect(detail, asOf).toMatch(/use e\.g\. 2026-11-26 or 2026-11-26T02:15:00Z/);
        }
        expect(h.extension.starts).toHaveLength(0);
    });

    it('ends a restore the app may not write as failed, saying it needs Mail.ReadWrite', async () => {
        h = await createFunctionsHarness({ settings: { RESTORE_ENABLED: 'true' } });
        const { alice } = await backedUpTenant();
        h.sim.tenant.mailPermission = 'Mail.Read';

        const started = await h.http('startRestore', {
            method: 'POST',
            path: 'restores',
            body: JSON.stringify({ source: alice.upn }),
        });
        expect(started.status).toBe(202);
        const instance = await h.extension.finished('mailbox-restore');

        expect(instance.runtimeStatus).toBe('Completed');
        expect(instance.output).toMatchObject({
            status: 'failed',
            reason: expect.stringMatching(/Mail\.ReadWrite/) as string,
        });
        expect(alice.messages().filter((m) => m.folderPath.startsWith('Restored'))).toHaveLength(0);
    });

    it('verifies the backup on its schedule and records the result as a run, failed when content is damaged', async () => {
        h = await createFunctionsHarness({ settings: { VERIFY_SAMPLE: '1' } });
        const { alice } = await backedUpTenant();

        await h.timer('verifyTimer');
        const clean = await h.extension.finished('mailbox-verify');
        expect(clean.output).toMatchObject({ status: 'succeeded', problems: 0 });

        const [entity] = (await indexOf(h.storage, alice.id)).values();
        const container = new ContainerClient(`${testConnectionString()}`, h.prefix);
        await container.deleteBlob(entity!.emlBlob);
        await h.timer('verifyTimer');
        const damaged = await h.extension.finished('mailbox-verify');
        expect(damaged.output).toMatchObject({ status: 'failed', problems: 1 });
        const run = await h.storage.runs.getRun((damaged.output as { runId: string }).runId);
        expect(run).toMatchObject({ type: 'verify', trigger: 'timer', status: 'failed' });
        const summary = h.replayers.at(-1)!.logs.find((l) => l.includes('mailbackup.run '));
        expect(summary).toContain('"status":"failed"');
    });
});
