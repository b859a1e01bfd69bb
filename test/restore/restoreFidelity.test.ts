import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { BackupFormat } from '../../src/backup/options';
import { readMessage, type ReadMessage } from '../../src/mime/readMessage';
import type { MessageEntity } from '../../src/store/entities';
import type { SimUser } from '../sim';
import { createHarness, type Harness } from '../support/harness';
import { indexOf } from '../support/truth';
import { restore } from './support';

const MB = 1024 * 1024;
const LOGO = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

/**
 * Restore into another mailbox, then back that mailbox up: what the second backup holds of each restored message is
 * what the first held of the original, read from the MIME on both sides.
 */
describe.each<BackupFormat>(['both', 'eml', 'json'])('a restore from a --format %s backup', (format) => {
    let h: Harness;
    let alice: SimUser;
    let bob: SimUser;

    beforeEach(async () => {
        h = await createHarness();
        alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        bob = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
        alice.addMessage('Inbox', {
            subject: 'Budget review',
            from: { name: 'Megan Bowen', address: 'meganb@fabrikam.com' },
            sender: { name: 'Megan Assistant', address: 'assistant@fabrikam.com' },
            to: ['alice@contoso.com'],
            cc: ['carol@contoso.com'],
            bcc: ['auditor@contoso.com'],
            replyTo: ['budget@fabrikam.com'],
            internetMessageId: '<budget-review-2@fabrikam.com>',
            inReplyTo: '<budget-review-1@fabrikam.com>',
            references: ['<budget-kickoff@fabrikam.com>', '<budget-review-1@fabrikam.com>'],
            importance: 'high',
            bodyType: 'html',
            body: '<html><body><p>Numbers attached.</p><img src="cid:logo@fabrikam.com"></body></html>',
            isRead: true,
            flag: 'flagged',
            categories: ['Red category'],
            sentAt: new Date(Date.UTC(2025, 3, 1, 9, 30)),
            receivedAt: new Date(Date.UTC(2025, 3, 1, 9, 31)),
            attachments: [
                {
                    name: 'logo.png',
                    contentType: 'image/png',
                    isInline: true,
                    contentId: 'logo@fabrikam.com',
                    content: LOGO,
                },
                { name: 'budget.xlsx', contentType: 'application/vnd.ms-excel', size: 20_000 },
            ],
        });
        alice.addMessage('Inbox', {
            subject: 'Fwd: the plan, and the link',
            receivedAt: new Date(Date.UTC(2025, 3, 2, 8)),
            attachments: [
                {
                    kind: 'item',
                    name: 'The plan',
                    item: {
                        subject: 'The plan',
                        from: 'dan@fabrikam.com',
                        to: ['meganb@fabrikam.com'],
                        body: 'Step one, step two.\r\n',
                        internetMessageId: '<the-plan@fabrikam.com>',
                        sentAt: new Date(Date.UTC(2025, 2, 28, 17)),
                    },
                },
                { kind: 'reference', name: 'Plan.docx', sourceUrl: 'https://contoso.sharepoint.com/sites/x/Plan.docx' },
            ],
        });
        alice.addMessage('Inbox', {
            subject: 'Fwd: minutes with their slides',
            receivedAt: new Date(Date.UTC(2025, 3, 3, 8)),
            attachments: [
                {
                    kind: 'item',
                    name: 'Minutes',
                    item: {
                        subject: 'Minutes',
                        body: 'See the slides.\r\n',
                        attachments: [{ name: 'slides.pdf', contentType: 'application/pdf', size: 5_000 }],
                    },
                },
            ],
        });
        // Over 4 MB of MIME: read twice, the attachment streamed through an upload session.
        alice.addMessage('Archive', {
            subject: 'Scans',
            receivedAt: new Date(Date.UTC(2024, 10, 5, 12)),
            attachments: [{ name: 'scan.tif', contentType: 'image/tiff', size: 4 * MB }],
        });
        alice.addMessage('Drafts', { subject: 'unfinished', isDraft: true, body: 'first words' });
        // A body too long for the JSON copy's document, which a JSON backup keeps as a part of its own.
        alice.addMessage('Inbox', { subject: 'long read', size: 150_000, receivedAt: new Date(Date.UTC(2025, 0, 9)) });
    });
    afterEach(async () => h.close());

    it('brings back every message the same: headers, body, dates, state and every attachment', async () => {
        await h.backup({ type: 'full', format, mailbox: [alice.upn] });

        const outcome = await restore(h, { source: alice.upn, target: bob.upn });

        expect(outcome.failures).toEqual([]);
        expect(outcome.status).toBe('succeeded');
        // The forwarded message with slides of its own comes back as its .eml: Graph cannot nest its attachments.
        expect(outcome.counters).toMatchObject({ messagesRestored: 6, partsApproximated: 1 });
        await h.backup({ type: 'full', format: 'both', mailbox: [bob.upn] });
        const originals = await backedUp(h, alice, format === 'both' ? 'eml' : format);
        const restored = await backedUp(h, bob, 'eml');
        expect(restored.size).toBe(originals.size);
        for (const [key, original] of originals) {
            const copy = restored.get(`${outcome.rootFolderName}/${key}`);
            expect(copy, key).toBeDefined();
            if (original.subject === 'Fwd: minutes with their slides') {
                const [item] = original.attachments as object[];
                expect(copy!.attachments).toEqual([{ ...item, name: 'Minutes.eml' }]);
                expect({ ...copy!, attachments: [] }).toEqual({ ...original, attachments: [] });
            } else {
                expect(copy, key).toEqual(original);
            }
        }
    });
});

interface Meaning {
    subject: string;
    headers: Omit<ReadMessage, 'attachments'>;
    attachments: unknown[];
    state: Pick<MessageEntity, 'isRead' | 'flagStatus' | 'categories' | 'isDraft' | 'receivedAt'>;
}

/** Each message of the mailbox's last backup, by folder path and subject, as its backed-up MIME (or JSON) says. */
async function backedUp(h: Harness, user: SimUser, from: 'eml' | 'json'): Promise<Map<string, Meaning>> {
    const messages = new Map<string, Meaning>();
    for (const row of (await indexOf(h.storage, user.id)).values()) {
        if (row.deletedAt) continue;
        const read = from === 'eml' ? await readEml(h, row.emlBlob) : await readJson(h, row.jsonBlob);
        const { attachments, ...headers } = read.message;
        messages.set(`${row.folderPath}/${row.subject}`, {
            subject: row.subject,
            headers,
            attachments: attachments.map((a, i) =>
                a.kind === 'item' ? { kind: a.kind, name: a.name, item: read.items[i] } : a,
            ),
            state: {
                isRead: row.isRead,
                flagStatus: row.flagStatus,
                categories: row.categories,
                isDraft: row.isDraft,
                receivedAt: new Date(row.receivedAt).toISOString(),
            },
        });
    }
    return messages;
}

/** A message and, for each forwarded message in it, what that message's own MIME says. */
async function readEml(h: Harness, blob: string): Promise<{ message: ReadMessage; items: unknown[] }> {
    const items: unknown[] = [];
    const message = await readMessage(Readable.from(await h.storage.content.openRead(blob)), async (part, content) => {
        const bytes = await buffer(content);
        items.push(part.kind === 'item' ? await readMessage(Readable.from([bytes])) : undefined);
    });
    return { message, items };
}

async function readJson(h: Harness, blob: string): Promise<{ message: ReadMessage; items: unknown[] }> {
    const copy = JSON.parse((await buffer(await h.storage.content.openRead(blob))).toString('utf8')) as ReadMessage & {
        schema: string;
        sha256: string;
        size: number;
    };
    const { schema: _schema, sha256: _sha256, size: _size, ...message } = copy;
    // A long body is described in the document and kept as a part (the test's bodies are UTF-8).
    message.body.content ??= (await part(h, message.body.sha256)).toString();
    const items = await Promise.all(
        message.attachments.map(async (a) => {
            if (a.kind !== 'item') return undefined;
            return readMessage(Readable.from([await part(h, a.sha256)]));
        }),
    );
    return { message, items };
}

/** A part the JSON format keeps as a blob of its own. */
async function part(h: Harness, sha256: string): Promise<Buffer> {
    return buffer(await h.storage.content.openRead(`attachments/${sha256.slice(0, 2)}/${sha256}`));
}

describe('a forwarded message too large for one request', () => {
    let h: Harness;

    beforeEach(async () => {
        h = await createHarness();
    });
    afterEach(async () => h.close());

    it('comes back as its exact .eml through an upload session, counted as approximated', async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        const bob = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
        const original = alice.addMessage('Inbox', {
            subject: 'Fwd: the long thread',
            attachments: [
                { kind: 'item', name: 'The long thread', item: { subject: 'The long thread', size: 3.5 * MB } },
            ],
        });
        await h.backup({ type: 'full', mailbox: [alice.upn] });
        h.sim.resetCounters();

        const outcome = await restore(h, { source: alice.upn, target: bob.upn });

        expect(outcome.status).toBe('succeeded');
        expect(outcome.counters).toMatchObject({ messagesRestored: 1, partsApproximated: 1 });
        expect(h.sim.counters.upload).toBeGreaterThan(0);
        const [copy] = bob.messages();
        expect(copy?.attachments.map((a) => [a.kind, a.name, a.contentType, a.sha256()])).toEqual([
            ['file', 'The long thread.eml', 'message/rfc822', original.attachments[0]?.sha256()],
        ]);
    });
});

describe('a restore from a --format json --no-attachments backup', () => {
    let h: Harness;

    beforeEach(async () => {
        h = await createHarness();
    });
    afterEach(async () => h.close());

    it('brings the messages back without the attachments it never kept, and names each one', async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        const bob = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
        alice.addMessage('Inbox', { subject: 'plain' });
        alice.addMessage('Inbox', {
            subject: 'with a file',
            attachments: [{ name: 'report.pdf', contentType: 'application/pdf', size: 3_000 }],
        });
        await h.backup({ type: 'full', format: 'json', attachments: false, mailbox: [alice.upn] });

        const outcome = await restore(h, { source: alice.upn, target: bob.upn });

        expect(outcome.status).toBe('partial');
        expect(outcome.counters).toMatchObject({ messagesRestored: 2, messagesFailed: 0 });
        expect(outcome.failures.map((f) => [f.subject, f.error])).toEqual([
            ['with a file', expect.stringContaining('"report.pdf" was not restored')],
        ]);
        expect(
            bob
                .messages()
                .map((m) => [m.subject, m.attachments.length])
                .sort(),
        ).toEqual([
            ['plain', 0],
            ['with a file', 0],
        ]);
    });
});
