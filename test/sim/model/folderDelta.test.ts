import type { Client } from '@microsoft/microsoft-graph-client';
import type { MailFolder } from '@microsoft/microsoft-graph-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadGraphSettings } from '../../../src/config';
import { createCredential } from '../../../src/graph/credentials';
import { createGraphClient } from '../../../src/graph/graphClient';
import { startSimulator, Tenant, type Simulator, type SimUser } from '../index';

type DeltaFolder = MailFolder & { '@removed'?: { reason: string }; '@odata.type'?: string };
interface Page {
    value: DeltaFolder[];
    '@odata.nextLink'?: string;
    '@odata.deltaLink'?: string;
}

describe('simulated folder hierarchy delta', () => {
    let sim: Simulator;
    let client: Client;
    let adele: SimUser;

    beforeAll(async () => {
        const tenant = new Tenant({ seed: 7 });
        adele = tenant.addUser({ upn: 'adele@contoso.com' });
        adele.addFolder('Inbox', 'Projects');
        adele.addFolder('Inbox/Projects', '2026');
        adele.addFolder('Inbox', 'Old');
        sim = await startSimulator({ tenant });
        const settings = loadGraphSettings(sim.settings);
        client = createGraphClient(createCredential(settings), settings.graphEndpoint);
    });
    afterAll(async () => sim.close());

    /** Reads a round to its deltaLink, two folders a page; returns its items, pages and deltaLink. */
    async function round(first: string): Promise<{ items: DeltaFolder[]; pages: number; deltaLink: string }> {
        const items: DeltaFolder[] = [];
        let pages = 0;
        for (let link: string | undefined = first; ;) {
            const page = (await client.api(link).header('Prefer', 'odata.maxpagesize=2').get()) as Page;
            pages++;
            items.push(...page.value);
            if (page['@odata.deltaLink']) return { items, pages, deltaLink: page['@odata.deltaLink'] };
            link = page['@odata.nextLink'];
            if (!link) throw new Error('a page without nextLink or deltaLink');
        }
    }

    it('lists the whole tree flat, then only what changed, and answers 410 once its tokens are stale', async () => {
        adele.mailbox.folderDelta.hiddenFolders = 'omitted';
        sim.resetCounters();
        const first = await round(`/users/${adele.id}/mailFolders/delta?$select=displayName,parentFolderId`);
        const visible = adele.mailbox.root.subtree().filter((f) => f.parent && !f.isHidden);
        expect(first.items.map((f) => f.id).sort()).toEqual(visible.map((f) => f.id).sort());
        expect(first.items.find((f) => f.displayName === '2026')?.parentFolderId).toBe(
            adele.folder('Inbox/Projects').id,
        );
        expect(first.items.find((f) => f.displayName === 'Unread Mail')?.['@odata.type']).toBe(
            '#microsoft.graph.mailSearchFolder',
        );
        expect(first.pages).toBe(Math.ceil(visible.length / 2));
        expect(sim.counters.folders).toBe(first.pages);

        const unchanged = await round(first.deltaLink);
        expect(unchanged).toMatchObject({ items: [], pages: 1 });

        const made = adele.addFolder('Inbox/Projects', 'New');
        adele.renameFolder('Inbox/Projects', 'Clients');
        adele.folder('Inbox/Clients/2026').moveTo(adele.folder('archive'));
        const old = adele.folder('Inbox/Old');
        adele.deleteFolder('Inbox/Old');
        const changed = await round(unchanged.deltaLink);
        const byId = new Map(changed.items.map((f) => [f.id, f]));
        expect(byId.get(made.id)).toMatchObject({
            displayName: 'New',
            parentFolderId: adele.folder('Inbox/Clients').id,
        });
        expect(byId.get(adele.folder('Inbox/Clients').id)).toEqual({
            id: adele.folder('Inbox/Clients').id,
            displayName: 'Clients',
        });
        expect(byId.get(adele.folder('Archive/2026').id)).toEqual({
            id: adele.folder('Archive/2026').id,
            parentFolderId: adele.folder('archive').id,
        });
        expect(byId.get(old.id)).toEqual({ id: old.id, '@removed': { reason: 'deleted' } });
        expect(changed.items).toHaveLength(4);

        adele.mailbox.folderDelta.expire();
        await expect(client.api(changed.deltaLink).get()).rejects.toMatchObject({
            statusCode: 410,
            code: 'SyncStateNotFound',
        });
    });

    it('reports hidden folders, and what lies below them, only when told to', async () => {
        adele.addFolder('Inbox', 'Secret').isHidden = true;
        adele.addFolder('Inbox/Secret', 'Deeper');
        const hidden = [adele.folder('Inbox/Secret').id, adele.folder('Inbox/Secret/Deeper').id];
        const ids = async () => (await round(`/users/${adele.id}/mailFolders/delta`)).items.map((f) => f.id);

        adele.mailbox.folderDelta.hiddenFolders = 'omitted';
        expect(await ids()).not.toEqual(expect.arrayContaining([hidden[0]]));
        expect(await ids()).not.toEqual(expect.arrayContaining([hidden[1]]));
        adele.mailbox.folderDelta.hiddenFolders = 'returned';
        expect(await ids()).toEqual(expect.arrayContaining(hidden));
    });
});
