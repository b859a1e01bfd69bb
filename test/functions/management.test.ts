import { afterEach, describe, expect, it } from 'vitest';

import type { HttpResponseInit } from '@azure/functions';

import { createFunctionsHarness, type FunctionsHarness } from '../support/durable/appHarness';
import { handlersOf, invocationContext } from '../support/durable/functionsApp';
import { principalHeader, type TestCaller } from '../support/durable/principal';

const OPERATOR: TestCaller = { objectId: '0b5e0000-0000-4000-8000-000000000001', roles: ['MailBackup.Operate'] };
const RESTORER: TestCaller = { objectId: '0b5e0000-0000-4000-8000-000000000002', roles: ['MailBackup.Restore'] };
const READER: TestCaller = { objectId: '0b5e0000-0000-4000-8000-000000000003', roles: ['MailBackup.Read'] };

/** Everything a caller receives: status, headers and body, as one string to search. */
const answered = (response: HttpResponseInit) => JSON.stringify([response.headers ?? {}, response.jsonBody ?? null]);

describe('the management endpoints', () => {
    let h: FunctionsHarness;
    afterEach(async () => h.close());

    async function backedUpTenant() {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        for (let i = 0; i < 3; i++) alice.addMessage('Inbox', { subject: `note ${i}` });
        const bob = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
        const { run } = await h.backup({ type: 'full' });
        expect(run.status).toBe('succeeded');
        return { alice, bob };
    }

    it('answers starts and their 409s with our own run and restore ids, never a Durable URL or its system key', async () => {
        h = await createFunctionsHarness({ settings: { RESTORE_ENABLED: 'true', RESTORE_ALLOWED_TARGETS: '' } });
        const { alice } = await backedUpTenant();
        const release = h.hold();
        const answers = [
            await h.http('startBackup', { method: 'POST', path: 'backups', headers: principalHeader(OPERATOR) }),
            await h.http('startBackup', { method: 'POST', path: 'backups', headers: principalHeader(OPERATOR) }),
        ];
        const restoreBody = JSON.stringify({ source: alice.upn });
        const headers = principalHeader(RESTORER);
        answers.push(await h.http('startRestore', { method: 'POST', path: 'restores', body: restoreBody, headers }));
        answers.push(await h.http('startRestore', { method: 'POST', path: 'restores', body: restoreBody, headers }));

        expect(answers.map((a) => a.status)).toEqual([202, 409, 202, 409]);
        for (const answer of answers) {
            expect(answered(answer)).not.toMatch(/code=|systemkey|runtime\/webhooks|Uri"/i);
        }
        const { runId } = answers[0]!.jsonBody as { runId: string };
        const { restoreId } = answers[2]!.jsonBody as { restoreId: string };
        expect((answers[0]!.headers as Record<string, string>).Location).toBe(
            `https://mailbackup.azurewebsites.net/api/backups/${runId}`,
        );
        expect(answers[1]!.jsonBody).toMatchObject({ runId, run: `/api/backups/${runId}` });
        expect(answers[2]!.jsonBody).toEqual({ restoreId, restore: `/api/restores/${restoreId}` });
        expect(answers[3]!.jsonBody).toMatchObject({ restoreId, restore: `/api/restores/${restoreId}` });

        // Accepted but not begun: the links already answer.
        const pending = await h.http('getRestore', { path: `restores/${restoreId}`, params: { restoreId } });
        expect(pending.jsonBody).toMatchObject({ restoreId, status: 'pending' });
        const pendingRun = await h.http('getBackup', { path: `backups/${runId}`, params: { runId } });
        expect(pendingRun.jsonBody).toMatchObject({ runId, status: 'pending' });
        release();
        await h.extension.finished('mailbox-backup');
        await h.extension.finished('mailbox-restore');
    });

    it('lets in only signed-in callers holding the role an endpoint needs, starting nothing otherwise', async () => {
        h = await createFunctionsHarness({ settings: { RESTORE_ENABLED: 'true', RESTORE_ALLOWED_TARGETS: '' } });
        const body = JSON.stringify({ source: 'alice@contoso.com' });
        const forged = { 'x-ms-client-principal': Buffer.from('{"claims":"admin"}').toString('base64') };
        const cases: [string, Parameters<FunctionsHarness['http']>[1], number][] = [
            ['startBackup', { method: 'POST', path: 'backups', headers: {} }, 401],
            ['startBackup', { method: 'POST', path: 'backups', headers: forged }, 401],
            ['startBackup', { method: 'POST', path: 'backups', headers: principalHeader(READER) }, 403],
            ['startBackup', { method: 'POST', path: 'backups', headers: principalHeader(RESTORER) }, 403],
            ['startRestore', { method: 'POST', path: 'restores', body, headers: {} }, 401],
            ['startRestore', { method: 'POST', path: 'restores', body, headers: principalHeader(OPERATOR) }, 403],
            ['startRestore', { method: 'POST', path: 'restores', body, headers: principalHeader(READER) }, 403],
            ['listBackups', { path: 'backups', headers: {} }, 401],
            ['listBackups', { path: 'backups', headers: principalHeader({ objectId: 'x', roles: [] }) }, 403],
            ['getRestore', { path: 'restores/x', params: { restoreId: 'x' }, headers: {} }, 401],
        ];
        for (const [name, init, status] of cases) {
            const response = await h.http(name, init);
            expect(response.status, `${name} ${JSON.stringify(init.headers)}`).toBe(status);
            expect((response.headers as Record<string, string>)['Content-Type']).toBe('application/problem+json');
        }
        const denied = await h.http('startRestore', { method: 'POST', path: 'restores', body, headers: {} });
        expect((denied.jsonBody as { detail: string }).detail).toMatch(/Entra ID access token/);
        const missing = await h.http('startBackup', {
            method: 'POST',
            path: 'backups',
            headers: principalHeader(READER),
        });
        expect((missing.jsonBody as { detail: string }).detail).toMatch(/MailBackup\.Operate/);
        expect(h.extension.starts).toHaveLength(0);

        const reader = await h.http('listBackups', { path: 'backups', headers: principalHeader(READER) });
        expect(reader.status ?? 200).toBe(200);
        expect(reader.jsonBody).toMatchObject({ runs: [] });
        // The role under the claim type role_typ names, and the object id under its short name, count as well.
        const longRole = {
            role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
            claims: [
                { typ: 'oid', val: READER.objectId },
                { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'MailBackup.Read' },
            ],
        };
        const headers = { 'x-ms-client-principal': Buffer.from(JSON.stringify(longRole)).toString('base64') };
        expect((await h.http('listBackups', { path: 'backups', headers })).status ?? 200).toBe(200);
    });

    it('records who asked for a restore on its row, in the log line and in its summary', async () => {
        h = await createFunctionsHarness({ settings: { RESTORE_ENABLED: 'true', RESTORE_ALLOWED_TARGETS: '' } });
        const { alice, bob } = await backedUpTenant();

        const started = await h.http('startRestore', {
            method: 'POST',
            path: 'restores',
            body: JSON.stringify({ source: alice.upn, target: bob.upn }),
            headers: principalHeader({ ...RESTORER, name: 'helpdesk@contoso.com' }),
        });
        expect(started.status).toBe(202);
        expect(started.lines.join('\n')).toContain(`requested by ${RESTORER.objectId} (helpdesk@contoso.com)`);
        const { restoreId } = started.jsonBody as { restoreId: string };
        await h.extension.finished('mailbox-restore');

        expect(await h.storage.restores.getRestore(restoreId)).toMatchObject({ requestedBy: RESTORER.objectId });
        const status = await h.http('getRestore', {
            path: `restores/${restoreId}`,
            params: { restoreId },
            headers: principalHeader(READER),
        });
        expect(status.jsonBody).toMatchObject({
            restoreId,
            status: 'succeeded',
            requestedBy: RESTORER.objectId,
            targetUserPrincipalName: bob.upn,
            messagesRestored: 3,
        });
        const summary = h.replayers.flatMap((r) => r.logs).find((l) => l.includes('mailbackup.restore {'));
        expect(summary).toContain(`"requestedBy":"${RESTORER.objectId}"`);
        expect(summary).toContain('"status":"succeeded"');
    });

    it('restores only into the mailboxes RESTORE_ALLOWED_TARGETS lists', async () => {
        h = await createFunctionsHarness({
            settings: { RESTORE_ENABLED: 'true', RESTORE_ALLOWED_TARGETS: 'Restore-Desk@contoso.com, x@contoso.com' },
        });
        const { alice } = await backedUpTenant();
        const ask = (target?: string) =>
            h.http('startRestore', {
                method: 'POST',
                path: 'restores',
                body: JSON.stringify({ source: alice.upn, target }),
            });

        const refused = await ask('bob@contoso.com');
        expect(refused.status).toBe(403);
        expect((refused.jsonBody as { detail: string }).detail).toMatch(/RESTORE_ALLOWED_TARGETS.*bob@contoso\.com/);
        expect((await ask()).status).toBe(403);
        expect(h.extension.starts).toHaveLength(0);

        h.sim.tenant.addUser({ upn: 'restore-desk@contoso.com' });
        expect((await ask('restore-desk@contoso.com')).status).toBe(202);
        expect((await h.extension.finished('mailbox-restore')).output).toMatchObject({ status: 'succeeded' });
    });

    it('refuses in the restore activity itself when restores are off, writing nothing', async () => {
        // As someone would who starts the orchestration through the Durable API rather than POST /api/restores.
        h = await createFunctionsHarness({ settings: { RESTORE_ENABLED: '', RESTORE_ALLOWED_TARGETS: '' } });
        const { alice, bob } = await backedUpTenant();
        const input = { restoreId: '20261201T000000Z-0bad', source: alice.upn, target: bob.upn };
        const registration = h.registrations.get('restoreMailboxSlice')!;
        const activity = handlersOf(h.registrations, 'activityTrigger').get('restoreMailboxSlice')!;

        await expect(activity(input, invocationContext(registration))).rejects.toThrow(/RESTORE_ENABLED=true/);

        const rpc = (h.extension.clientData as { rpcBaseUrl: string }).rpcBaseUrl;
        const response = await fetch(`${rpc}orchestrators/restoreOrchestrator/direct`, {
            method: 'POST',
            body: JSON.stringify(input),
        });
        expect(response.status).toBe(202);
        const instance = await h.extension.finished('direct');
        expect(instance.output).toMatchObject({
            status: 'failed',
            reason: expect.stringMatching(/turned off/) as string,
        });
        expect(await h.storage.restores.getRestore(input.restoreId)).toBeUndefined();
        expect(bob.messages()).toHaveLength(0);
        expect(alice.messages().filter((m) => m.folderPath.startsWith('Restored'))).toHaveLength(0);
    });

    it('bounds every string of a request body, answering 400 with a problem', async () => {
        h = await createFunctionsHarness({ settings: { RESTORE_ENABLED: 'true', RESTORE_ALLOWED_TARGETS: '' } });
        await backedUpTenant();
        const long = (n: number) => 'a'.repeat(n);
        const requests: [string, string][] = [
            ['startBackup', JSON.stringify({ mailboxes: [`${long(320)}@contoso.com`] })],
            ['startBackup', JSON.stringify({ mailboxes: ['a@contoso.com'], [long(10_000)]: 1 })],
            ['startBackup', `{"type":"full","pad":"${long(400_000)}"}`],
            ['startRestore', JSON.stringify({ source: long(321) })],
            ['startRestore', JSON.stringify({ source: 'alice@contoso.com', target: long(321) })],
            ['startRestore', JSON.stringify({ source: 'alice@contoso.com', folder: long(5000) })],
            ['startRestore', JSON.stringify({ source: 'alice@contoso.com', messageId: long(513) })],
            ['startRestore', JSON.stringify({ source: 'alice@contoso.com', asOf: `2026-11-20T00:00:00Z${long(40)}` })],
        ];
        for (const [name, body] of requests) {
            const response = await h.http(name, {
                method: 'POST',
                path: name === 'startBackup' ? 'backups' : 'restores',
                body,
            });
            expect(response.status, body.slice(0, 80)).toBe(400);
            expect((response.headers as Record<string, string>)['Content-Type']).toBe('application/problem+json');
            expect(answered(response).length, body.slice(0, 80)).toBeLessThan(1000);
        }
        expect(h.extension.starts).toHaveLength(0);
    });
});
