import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { SimUser } from '../sim';
import { createHarness, type Harness } from '../support/harness';
import { expectRestored, restore } from './support';

/** The create POST of a message in a folder; not the folder creations, not the attachments. */
const MESSAGE_CREATE = /\/mailFolders\/[^/]+\/messages$/;
const ATTACHMENT_ADD = /\/messages\/[^/]+\/attachments$/;
const FOLDER_CREATE = /\/mailFolders(\/[^/]+\/childFolders)?$/;

/**
 * A write whose answer is lost: Exchange carried it out, then the gateway answered 504 or the connection dropped.
 * Sending it again blindly makes a second copy.
 */
describe('a restore whose write was carried out but not answered', () => {
    let h: Harness;
    let alice: SimUser;
    let bob: SimUser;

    beforeEach(async () => {
        h = await createHarness();
        alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        bob = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
        alice.addMessage('Inbox', {
            subject: 'quarterly figures',
            attachments: [
                { name: 'figures.xlsx', contentType: 'application/vnd.ms-excel', size: 5_000 },
                { name: 'notes.txt', contentType: 'text/plain', size: 300 },
            ],
        });
        await h.backup({ type: 'full', mailbox: [alice.upn] });
    });
    afterEach(async () => h.close());

    it('creates the message once when Graph made it and then answered 504', async () => {
        h.sim.faults.add({ kind: 'write', mailbox: bob.upn, path: MESSAGE_CREATE, status: 504, afterHandling: true });

        const outcome = await restore(h, { source: alice.upn, target: bob.upn });

        expect(outcome.status).toBe('succeeded');
        expect(bob.messages().filter((m) => m.subject === 'quarterly figures')).toHaveLength(1);
        expectRestored(bob, outcome.rootFolderName, alice.messages());
    });

    it('creates the message once when the connection dropped after Graph made it', async () => {
        h.sim.faults.add({ kind: 'write', mailbox: bob.upn, path: MESSAGE_CREATE, reset: 'midBody' });

        const outcome = await restore(h, { source: alice.upn, target: bob.upn });

        expect(outcome.status).toBe('succeeded');
        expectRestored(bob, outcome.rootFolderName, alice.messages());
    });

    it('creates each folder once when Graph made it and then answered 504', async () => {
        h.sim.faults.add({ kind: 'write', mailbox: bob.upn, path: FOLDER_CREATE, status: 504, afterHandling: true });

        const outcome = await restore(h, { source: alice.upn, target: bob.upn });

        expect(outcome.status).toBe('succeeded');
        expect(bob.mailbox.root.children.filter((f) => f.displayName === outcome.rootFolderName)).toHaveLength(1);
        expectRestored(bob, outcome.rootFolderName, alice.messages());
    });

    it('adds each attachment once when Graph added one and then answered 504', async () => {
        h.sim.faults.add({ kind: 'write', mailbox: bob.upn, path: ATTACHMENT_ADD, status: 504, afterHandling: true });

        const outcome = await restore(h, { source: alice.upn, target: bob.upn });

        expect(outcome.status).toBe('succeeded');
        const [copy, ...others] = bob.messages().filter((m) => m.subject === 'quarterly figures');
        expect(others).toEqual([]);
        expect(copy?.attachments.map((a) => a.name)).toEqual(['figures.xlsx', 'notes.txt']);
        expectRestored(bob, outcome.rootFolderName, alice.messages());
    });
});
