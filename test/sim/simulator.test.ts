import { ClientSecretCredential } from '@azure/identity';
import { Client, GraphError, ResponseType, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { MailFolder, Message, User } from '@microsoft/microsoft-graph-types';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, Tenant, type Simulator, type SimUser } from './index';

interface Page<T> {
    value: T[];
    '@odata.nextLink'?: string;
    '@odata.deltaLink'?: string;
}
type DeltaItem = Message & { '@removed'?: { reason: string } };

const IMMUTABLE = 'IdType="ImmutableId"';

function credentialFor(sim: Simulator, secret = sim.clientSecret): ClientSecretCredential {
    return new ClientSecretCredential(sim.tenantId, sim.clientId, secret, {
        authorityHost: sim.url,
        disableInstanceDiscovery: true,
    });
}

function graphClient(sim: Simulator): Client {
    const authProvider = new TokenCredentialAuthenticationProvider(credentialFor(sim), {
        scopes: ['https://graph.microsoft.com/.default'],
    });
    return Client.initWithMiddleware({
        authProvider,
        baseUrl: sim.url,
        defaultVersion: 'v1.0',
        customHosts: new Set(['localhost']),
    });
}

/** Follows nextLinks verbatim, as a client must, and returns every item plus the final deltaLink if any. */
async function readAll<T>(client: Client, first: string, prefer?: string): Promise<{ items: T[]; deltaLink?: string }> {
    const items: T[] = [];
    let link: string | undefined = first;
    for (;;) {
        const request = client.api(link);
        const page = (await (prefer ? request.header('Prefer', prefer) : request).get()) as Page<T>;
        items.push(...page.value);
        link = page['@odata.nextLink'];
        if (!link) return { items, deltaLink: page['@odata.deltaLink'] };
    }
}

describe('tenant simulator, driven by the real @azure/identity and Graph client', () => {
    let sim: Simulator;
    let client: Client;
    let adele: SimUser;

    beforeAll(async () => {
        const tenant = new Tenant({ seed: 42 });
        adele = tenant.addUser({ upn: 'adele.vance@contoso.onmicrosoft.com' });
        for (let i = 0; i < 12; i++) tenant.addUser({ upn: `user${i}@contoso.onmicrosoft.com` });
        tenant.addUser({ upn: 'info@contoso.onmicrosoft.com', kind: 'shared' });
        tenant.addUser({ upn: 'svc.scanner@contoso.onmicrosoft.com', kind: 'noMailbox' });
        tenant.addUser({ upn: 'partner@fabrikam.com', kind: 'guest' });
        adele.addFolder('Inbox', 'Projects');
        adele.addFolder('Inbox/Projects', '2026');
        for (let i = 0; i < 7; i++) adele.addMessage('Inbox', { subject: `Inbox ${i}` });
        adele.addMessage('Inbox/Projects/2026', {
            subject: 'Plan – Ünïcode',
            attachments: [{ name: 'plan.pdf', contentType: 'application/pdf', size: 70_000 }],
        });
        sim = await startSimulator({ tenant });
        client = graphClient(sim);
    });

    afterAll(() => sim.close());

    it('issues a token to ClientSecretCredential and rejects a wrong secret with AADSTS7000215', async () => {
        const token = await credentialFor(sim).getToken('https://graph.microsoft.com/.default');
        expect(token.token).toBeTruthy();
        expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
        await expect(
            credentialFor(sim, 'not-the-secret').getToken('https://graph.microsoft.com/.default'),
        ).rejects.toThrow(/AADSTS7000215/);
    });

    it('pages users by $top and nextLink, and returns accountEnabled and userType only when selected', async () => {
        const plain = (await client.api('/users').get()) as Page<User>;
        expect(plain.value[0]).not.toHaveProperty('accountEnabled');
        const select = '$select=id,userPrincipalName,mail,accountEnabled,userType&$top=5';
        const { items } = await readAll<User>(client, `/users?${select}`);
        expect(items).toHaveLength(sim.tenant.users().length);
        expect(items.find((u) => u.userPrincipalName === 'info@contoso.onmicrosoft.com')).toMatchObject({
            accountEnabled: false,
        });
        const guest = items.find((u) => u.userType === 'Guest');
        expect(guest?.userPrincipalName).toBe('partner_fabrikam.com#EXT#@contoso.onmicrosoft.com');
        const byUpn = (await client.api(`/users/${encodeURIComponent(guest?.userPrincipalName ?? '')}`).get()) as User;
        expect(byUpn.id).toBe(guest?.id);
    });

    it('tells shared mailboxes apart and refuses mail calls for users without a mailbox', async () => {
        const settings = (await client.api('/users/info@contoso.onmicrosoft.com/mailboxSettings').get()) as {
            userPurpose: string;
        };
        expect(settings.userPurpose).toBe('shared');
        await expect(client.api('/users/svc.scanner@contoso.onmicrosoft.com/mailFolders').get()).rejects.toMatchObject({
            statusCode: 404,
            code: 'MailboxNotEnabledForRESTAPI',
        });
    });

    it('lists folders with the hidden one only on request, marks the search folder, and recurses', async () => {
        const base = `/users/${adele.id}/mailFolders`;
        const visible = await readAll<MailFolder>(client, base);
        const all = await readAll<MailFolder & { '@odata.type'?: string }>(client, `${base}?includeHiddenFolders=true`);
        expect(all.items.length).toBe(visible.items.length + 1);
        expect(all.items.find((f) => f.isHidden)?.displayName).toBe('Quick Step Settings');
        const search = all.items.find((f) => f['@odata.type'] === '#microsoft.graph.mailSearchFolder');
        expect(search?.displayName).toBe('Unread Mail');
        const inbox = all.items.find((f) => f.displayName === 'Inbox');
        expect(inbox).toMatchObject({ id: adele.folder('inbox').id, childFolderCount: 1, totalItemCount: 7 });
        const projects = await readAll<MailFolder>(client, `${base}/${inbox?.id ?? ''}/childFolders`);
        expect(projects.items.map((f) => f.displayName)).toEqual(['Projects']);
    });

    it('runs a delta to a deltaLink and then sees a move as @removed plus new, with the same immutable id', async () => {
        const inbox = adele.folder('Inbox');
        const archive = adele.folder('Archive');
        const prefer = `odata.maxpagesize=3, ${IMMUTABLE}`;
        const deltaOf = (folderId: string): string =>
            `/users/${adele.id}/mailFolders/${folderId}/messages/delta?$select=id,subject,isRead,changeKey` +
            `&$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')`;
        const first = await readAll<Message>(client, deltaOf(inbox.id), prefer);
        expect(first.items.map((m) => m.id).sort()).toEqual([...inbox.messages.keys()].sort());
        const sized = first.items[0];
        const truth = adele.message(sized?.id ?? '');
        expect(sized?.singleValueExtendedProperties).toEqual([{ id: 'Integer 0xe08', value: String(truth.size) }]);
        const archived = await readAll<Message>(client, deltaOf(archive.id), prefer);

        const moved = adele.messages().find((m) => m.folder === inbox);
        if (!moved) throw new Error('no message in Inbox');
        const regularBefore = moved.regularId;
        adele.moveMessage(moved.id, 'Archive');
        adele.markRead(inbox.messages.values().next().value?.id ?? '', true);

        const fromInbox = await readAll<DeltaItem>(client, first.deltaLink ?? '', prefer);
        expect(fromInbox.items.find((m) => m['@removed'])).toEqual({
            '@odata.type': '#microsoft.graph.message',
            id: moved.id,
            '@removed': { reason: 'deleted' },
        });
        expect(fromInbox.items.filter((m) => !m['@removed'])).toMatchObject([{ isRead: true }]);
        const intoArchive = await readAll<DeltaItem>(client, archived.deltaLink ?? '', prefer);
        expect(intoArchive.items).toMatchObject([{ id: moved.id, subject: moved.subject }]);
        expect(moved.regularId).not.toBe(regularBefore);
    });

    it('answers 410 SyncStateNotFound for delta links issued before the tokens expired', async () => {
        const { deltaLink } = await readAll<Message>(client, `/users/${adele.id}/mailFolders/inbox/messages/delta`);
        adele.expireDeltaTokens();
        await expect(client.api(deltaLink ?? '').get()).rejects.toMatchObject({
            statusCode: 410,
            code: 'SyncStateNotFound',
        });
    });

    it('streams $value chunked as text/plain with bytes that hash to the message checksum', async () => {
        const message = adele.messages().find((m) => m.attachments.length > 0);
        if (!message) throw new Error('no message with an attachment');
        const response = (await client
            .api(`/users/${adele.id}/messages/${message.id}/$value`)
            .responseType(ResponseType.RAW)
            .get()) as Response;
        expect(response.headers.get('content-type')).toBe('text/plain');
        expect(response.headers.get('content-length')).toBeNull();
        const bytes = Buffer.from(await response.arrayBuffer());
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(message.sha256());
        expect(bytes.toString('latin1')).toContain('Content-Type: multipart/mixed');
        expect(sim.counters.valueDownloads).toContain(message.id);
    });

    it('answers the 5th concurrent request to one mailbox with 429 ApplicationThrottled', async () => {
        sim.setLatency(300);
        try {
            const noRetry = new RetryHandlerOptions(0, 0);
            const calls = Array.from({ length: 5 }, () =>
                client.api(`/users/${adele.id}/mailFolders/inbox`).middlewareOptions([noRetry]).get(),
            );
            const results = await Promise.allSettled(calls);
            const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
            expect(rejected).toHaveLength(1);
            const error = rejected[0]?.reason as GraphError;
            expect(error).toMatchObject({ statusCode: 429, code: 'ApplicationThrottled' });
            expect(error.headers?.get('Retry-After')).toBe('1');
            expect(sim.counters.maxConcurrentByMailbox.get(adele.upn)).toBe(4);
        } finally {
            sim.setLatency(0);
        }
    });
});
