import { ClientSecretCredential } from '@azure/identity';
import { Client, ResponseType } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { Message } from '@microsoft/microsoft-graph-types';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, Tenant, type Simulator, type SimUser } from './index';

interface Page {
    value: (Message & { '@removed'?: object })[];
    '@odata.nextLink'?: string;
    '@odata.deltaLink'?: string;
}
interface ErrorBody {
    error: { code: string; message: string; innerError: Record<string, string> };
}

/** Raw HTTPS calls for what the SDKs hide: status codes, headers and exact error bodies. */
async function call(sim: Simulator, path: string, token?: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (token) headers.set('Authorization', `Bearer ${token}`);
    return fetch(`${sim.url}${path}`, { ...init, headers });
}

async function tokenFor(sim: Simulator, form: Record<string, string> = {}): Promise<Response> {
    const body = new URLSearchParams({
        client_id: sim.clientId,
        client_secret: sim.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
        grant_type: 'client_credentials',
        ...form,
    });
    return fetch(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, { method: 'POST', body });
}

async function accessToken(sim: Simulator): Promise<string> {
    return ((await (await tokenFor(sim)).json()) as { access_token: string }).access_token;
}

describe('tenant simulator edge cases', () => {
    let sim: Simulator;
    let token: string;
    let user: SimUser;

    beforeAll(async () => {
        const tenant = new Tenant({ seed: 7 });
        user = tenant.addUser({ upn: 'lee.gu@contoso.onmicrosoft.com' });
        tenant.addUser({ upn: 'partner@fabrikam.com', kind: 'guest' });
        for (let i = 0; i < 5; i++) user.addMessage('Inbox', { subject: `m${i}`, size: 20_000 });
        user.addMessage('Drafts', { subject: 'draft', isDraft: true, body: 'first words' });
        sim = await startSimulator({ tenant, requestsPerWindow: 1000 });
        token = await accessToken(sim);
    });

    afterAll(() => sim.close());

    it('formats Entra errors like Entra and accepts a client assertion for the known app', async () => {
        const wrongTenant = await fetch(`${sim.url}/contoso.example/oauth2/v2.0/token`, { method: 'POST', body: '' });
        expect(wrongTenant.status).toBe(400);
        expect(await wrongTenant.json()).toMatchObject({ error: 'invalid_request', error_codes: [90002] });
        const wrongClient = await tokenFor(sim, { client_id: '00000000-0000-0000-0000-000000000000' });
        expect(await wrongClient.json()).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
        const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
        const assertion = `${part({ alg: 'RS256' })}.${part({ iss: sim.clientId, sub: sim.clientId })}.c2ln`;
        const form = new URLSearchParams({
            client_id: sim.clientId,
            scope: 'https://graph.microsoft.com/.default',
            grant_type: 'client_credentials',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion,
        });
        const ok = await fetch(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: form });
        expect(ok.status).toBe(200);
    });

    it('answers in the Graph error shape: bad token, unknown user, malformed id, /me, unknown segment', async () => {
        const expectError = async (response: Response, status: number, code: string): Promise<void> => {
            expect(response.status).toBe(status);
            const body = (await response.json()) as ErrorBody;
            expect(body.error.code).toBe(code);
            expect(body.error.innerError['request-id']).toBe(response.headers.get('request-id'));
        };
        await expectError(await call(sim, `/v1.0/users`, 'forged'), 401, 'InvalidAuthenticationToken');
        await expectError(await call(sim, `/v1.0/users/nobody@x.com/mailFolders`, token), 404, 'ErrorInvalidUser');
        await expectError(
            await call(sim, `/v1.0/users/${user.id}/messages/not-an-id!`, token),
            400,
            'ErrorInvalidIdMalformed',
        );
        await expectError(await call(sim, `/v1.0/me/messages`, token), 400, 'BadRequest');
        await expectError(await call(sim, `/v1.0/users/${user.id}/calendars`, token), 400, 'BadRequest');
        const guest = sim.tenant.users().find((u) => u.kind === 'guest');
        const guestPath = `/v1.0/users('${encodeURIComponent(guest?.upn ?? '')}')/mailFolders`;
        await expectError(await call(sim, guestPath, token), 404, 'MailboxNotEnabledForRESTAPI');
    });

    it('returns regular ids without the ImmutableId preference; they change when a message moves', async () => {
        const first = (await (
            await call(sim, `/v1.0/users/${user.id}/mailFolders/inbox/messages/delta`, token)
        ).json()) as Page;
        const message = user.message(first.value[0]?.id ?? '');
        expect(first.value[0]?.id).toBe(message.regularId);
        expect(message.regularId).not.toBe(message.id);
        const oldRegular = message.regularId;
        user.moveMessage(message.id, 'Archive');
        const next = (await (
            await call(sim, first['@odata.deltaLink']?.replace(sim.url, '') ?? '', token)
        ).json()) as Page;
        expect(next.value).toEqual([expect.objectContaining({ id: oldRegular, '@removed': { reason: 'deleted' } })]);
        const stale = await call(sim, `/v1.0/users/${user.id}/messages/${oldRegular}`, token);
        expect(stale.status).toBe(404);
        const current = await call(sim, `/v1.0/users/${user.id}/messages/${message.regularId}`, token);
        expect(((await current.json()) as Message).parentFolderId).toBe(user.folder('archive').id);
        const letter = message.id.slice(8).search(/[a-z]/i) + 8;
        const flipped = message.id[letter] === message.id[letter]?.toUpperCase() ? 'toLowerCase' : 'toUpperCase';
        const otherCase =
            message.id.slice(0, letter) + message.id.charAt(letter)[flipped]() + message.id.slice(letter + 1);
        const wrongCase = await call(sim, `/v1.0/users/${user.id}/messages/${otherCase}`, token);
        expect(wrongCase.status).toBe(404);
    });

    it('reports a draft edit as an update whose $value bytes changed, and a deleted folder as 404', async () => {
        const folder = user.addFolder('Inbox', 'Temp');
        const base = `/v1.0/users/${user.id}/mailFolders`;
        const drafts = (await (await call(sim, `${base}/drafts/messages/delta`, token)).json()) as Page;
        const draft = user.messages().find((m) => m.isDraft);
        if (!draft) throw new Error('no draft');
        const before = { sha: draft.sha256(), changeKey: draft.changeKey };
        user.editDraft(draft.id, 'second thoughts');
        const update = (await (
            await call(sim, drafts['@odata.deltaLink']?.replace(sim.url, '') ?? '', token)
        ).json()) as Page;
        expect(update.value[0]?.changeKey).toBe(draft.changeKey);
        expect(draft.changeKey).not.toBe(before.changeKey);
        expect(draft.sha256()).not.toBe(before.sha);
        const temp = (await (await call(sim, `${base}/${folder.id}/messages/delta`, token)).json()) as Page;
        user.deleteFolder('Inbox/Temp');
        const gone = await call(sim, temp['@odata.deltaLink']?.replace(sim.url, '') ?? '', token);
        expect(gone.status).toBe(404);
        expect(((await gone.json()) as ErrorBody).error.code).toBe('ErrorItemNotFound');
    });

    it('injects faults: a retried 503, a $value cut mid-body, a dropped connection', async () => {
        const credential = new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, {
            authorityHost: sim.url,
            disableInstanceDiscovery: true,
        });
        const client = Client.initWithMiddleware({
            authProvider: new TokenCredentialAuthenticationProvider(credential, {
                scopes: ['https://graph.microsoft.com/.default'],
            }),
            baseUrl: sim.url,
            customHosts: new Set(['localhost']),
        });
        sim.faults.add({ kind: 'folders', mailbox: user.upn, status: 503, retryAfterSec: 0.1 });
        await expect(client.api(`/users/${user.id}/mailFolders/inbox`).get()).resolves.toMatchObject({
            displayName: 'Inbox',
        });
        const message = user.messages()[0];
        sim.faults.add({ kind: 'value', reset: 'midBody' });
        const stream = (await client
            .api(`/users/${user.id}/messages/${message?.id ?? ''}/$value`)
            .responseType(ResponseType.STREAM)
            .get()) as ReadableStream<Uint8Array>;
        await expect(Readable.fromWeb(stream).toArray()).rejects.toThrow();
        sim.faults.add({ kind: 'users', reset: 'beforeResponse' });
        await expect(call(sim, '/v1.0/users', token)).rejects.toThrow();
        expect(sim.counters.valueDownloads).not.toContain(message?.id);
    });

    it('answers 429 TooManyRequests with a fractional Retry-After once the mailbox budget is spent', async () => {
        const limited = await startSimulator({ tenant: sim.tenant, requestsPerWindow: 2, windowMs: 60_000 });
        try {
            const limitedToken = await accessToken(limited);
            const statuses: number[] = [];
            let last: Response | undefined;
            for (let i = 0; i < 3; i++) {
                last = await call(limited, `/v1.0/users/${user.id}/mailFolders/inbox`, limitedToken);
                statuses.push(last.status);
            }
            expect(statuses).toEqual([200, 200, 429]);
            expect(Number(last?.headers.get('Retry-After'))).toBeGreaterThan(50);
            expect(((await last?.json()) as ErrorBody).error.code).toBe('TooManyRequests');
            expect(limited.counters.throttled).toBe(1);
        } finally {
            await limited.close();
        }
    });
});
