import { buffer } from 'node:stream/consumers';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type MessageCopy, parseMessageCopy } from '../../src/mime/messageCopy';
import type { SimMessage, SimUser } from '../sim';
import { createHarness, type Harness } from '../support/harness';
import { indexOf } from '../support/truth';

describe('one download per message: the JSON copy and attachments come from the MIME', () => {
    let h: Harness;
    let alice: SimUser;

    beforeEach(async () => {
        h = await createHarness();
        alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        alice.addMessage('Inbox', {
            subject: 'Quarterly figures — Ünïcode',
            from: { name: 'Megan Bowen', address: 'meganb@fabrikam.com' },
            to: ['alice@contoso.com', { name: 'Bob', address: 'bob@contoso.com' }],
            cc: ['carol@contoso.com'],
            body: 'See the attached figures.\r\nRegards, Megan',
            attachments: [
                { name: 'figures.xlsx', contentType: 'application/vnd.ms-excel', size: 5_000 },
                { name: 'scan.pdf', contentType: 'application/pdf', size: 700_000 },
                { name: 'logo.png', contentType: 'image/png', size: 2_000, isInline: true },
            ],
        });
        for (let i = 0; i < 4; i++) alice.addMessage('Inbox', { subject: `plain ${i}` });
    });
    afterEach(async () => h.close());

    async function copyOf(message: SimMessage): Promise<MessageCopy> {
        const entity = (await indexOf(h.storage, alice.id)).get(message.id)!;
        const text = (await buffer(await h.storage.content.openRead(entity.jsonBlob))).toString('utf8');
        return parseMessageCopy(text, entity.jsonBlob);
    }

    function withAttachments(): SimMessage {
        return alice.messages().find((m) => m.attachments.length > 0)!;
    }

    it('makes exactly one $value request per new message, and no message or attachment requests', async () => {
        const { run } = await h.backup({ type: 'full' });
        expect(run).toMatchObject({ status: 'succeeded', messagesNew: 5 });
        expect(h.sim.counters.value).toBe(5);
        expect(h.sim.counters.message).toBe(0);
        expect(h.sim.counters.attachments).toBe(0);
        expect(h.sim.counters.attachmentValue).toBe(0);
    });

    it('writes a JSON copy with the headers, recipients, body and every attachment the MIME holds', async () => {
        await h.backup({ type: 'full' });
        const message = withAttachments();
        const copy = await copyOf(message);
        expect(copy).toMatchObject({
            sha256: message.sha256(),
            size: message.size,
            internetMessageId: message.internetMessageId,
            subject: message.subject,
            from: { emailAddress: { name: 'Megan Bowen', address: 'meganb@fabrikam.com' } },
            toRecipients: [
                { emailAddress: { address: 'alice@contoso.com' } },
                { emailAddress: { name: 'Bob', address: 'bob@contoso.com' } },
            ],
            ccRecipients: [{ emailAddress: { address: 'carol@contoso.com' } }],
            sentDateTime: new Date(Math.floor(message.sentAt.getTime() / 1000) * 1000).toISOString(),
            body: { contentType: 'text' },
        });
        expect((copy.body.content ?? '').replace(/\r?\n/g, '\n').trim()).toBe(
            message.body.replace(/\r?\n/g, '\n').trim(),
        );
        expect(copy.attachments).toEqual(
            message.attachments.map((a) => ({
                kind: 'file',
                name: a.name,
                contentType: a.contentType,
                size: a.size,
                sha256: a.sha256(),
                isInline: a.isInline,
                ...(a.contentId ? { contentId: a.contentId } : {}),
            })),
        );
    });

    it('keeps attachments only inside the .eml with the default format, so they are not stored twice', async () => {
        const { run } = await h.backup({ type: 'full' });
        const attachmentBlobs = [];
        for await (const blob of h.storage.content.listBlobs('attachments/')) attachmentBlobs.push(blob.name);
        expect(attachmentBlobs).toEqual([]);
        expect(run.bytesStored).toBeLessThanOrEqual(1.15 * run.bytesDownloaded);
    });

    it('with --format json stores each attachment once as a blob of its own, and no .eml', async () => {
        await h.backup({ type: 'full', format: 'json' });
        const message = withAttachments();
        const entity = (await indexOf(h.storage, alice.id)).get(message.id)!;
        expect(entity.emlBlob).toBe('');
        const stored = [];
        for await (const row of h.storage.index.listAttachments(alice.id, message.id)) stored.push(row);
        expect(stored.map((a) => a.sha256).sort()).toEqual(message.attachments.map((a) => a.sha256()).sort());
        for (const attachment of stored) {
            const bytes = await buffer(await h.storage.content.openRead(attachment.blob));
            expect(bytes.length).toBe(attachment.size);
        }
        expect(h.sim.counters.value).toBe(5);
    });

    it('describes a body over 16 KiB in the JSON copy and keeps its bytes once', async () => {
        const body = `${'Long minutes of the meeting. '.repeat(1_500)}\r\n`;
        const long = alice.addMessage('Inbox', { subject: 'minutes', body });
        await h.backup({ type: 'full' });
        const copy = await copyOf(long);
        expect(copy.body).toMatchObject({ contentType: 'text', charset: 'utf-8' });
        expect(copy.body.content).toBeUndefined();
        expect(copy.body.size).toBeGreaterThan(16 * 1024);

        const other = await createHarness();
        try {
            const twin = other.sim.tenant.addUser({ upn: 'alice@contoso.com' });
            const message = twin.addMessage('Inbox', withAttachmentsInput(long));
            await other.backup({ type: 'full', format: 'json' });
            const parts = [];
            for await (const row of other.storage.index.listAttachments(twin.id, message.id)) parts.push(row);
            expect(parts).toHaveLength(1);
            const bytes = await buffer(await other.storage.content.openRead(parts[0]!.blob));
            expect(bytes.toString('utf8').replace(/\r\n/g, '\n').trim()).toBe(body.replace(/\r\n/g, '\n').trim());
            expect(parts[0]!.sha256).toBe(copy.body.sha256);
        } finally {
            await other.close();
        }
    });

    it('with --format eml stores only the .eml', async () => {
        await h.backup({ type: 'full', format: 'eml' });
        for (const entity of (await indexOf(h.storage, alice.id)).values()) {
            expect(entity.jsonBlob).toBe('');
            expect(await h.storage.content.exists(entity.emlBlob)).toBe(true);
        }
    });

    it('writes the same JSON copy for the same content whatever the options of the run that stored it', async () => {
        await h.backup({ type: 'full', format: 'json', attachments: false });
        const withoutAttachments = await copyOf(withAttachments());
        const other = await createHarness();
        try {
            const twin = other.sim.tenant.addUser({ upn: 'alice@contoso.com' });
            twin.addMessage('Inbox', withAttachmentsInput(withAttachments()));
            await other.backup({ type: 'full', format: 'both' });
            const entity = [...(await indexOf(other.storage, twin.id)).values()][0]!;
            const text = (await buffer(await other.storage.content.openRead(entity.jsonBlob))).toString('utf8');
            expect(entity.sha256).toBe(withoutAttachments.sha256);
            expect(JSON.parse(text)).toEqual(withoutAttachments);
        } finally {
            await other.close();
        }
    });

    it('reads a draft again when its changeKey changes, and keeps a version when its bytes changed', async () => {
        const long = `${'x'.repeat(300)} first ending`;
        const draft = alice.addMessage('Drafts', { subject: 'plan', isDraft: true, body: long });
        await h.backup({ type: 'full' });
        // An edit past the 255-character preview that keeps the size: only the changeKey says something changed.
        alice.editDraft(draft.id, long.replace('first', 'final'));
        h.sim.resetCounters();
        const { run } = await h.backup();
        expect(h.sim.counters.value).toBe(1);
        expect(run.messagesChanged).toBe(1);
        const entity = (await indexOf(h.storage, alice.id)).get(draft.id)!;
        expect(entity).toMatchObject({ version: 2, sha256: draft.sha256() });

        alice.markRead(draft.id, !draft.isRead);
        h.sim.resetCounters();
        const again = await h.backup();
        expect(h.sim.counters.value).toBe(1);
        expect(again.run).toMatchObject({ messagesChanged: 0, messagesUpdated: 1 });
        expect((await indexOf(h.storage, alice.id)).get(draft.id)).toMatchObject({ version: 2 });
    });

    it('keeps a draft present, at its last stored version, when a full backup cannot download its new one', async () => {
        const draft = alice.addMessage('Drafts', { subject: 'plan', isDraft: true, body: 'first words' });
        await h.backup({ type: 'full' });
        const first = draft.sha256();
        alice.editDraft(draft.id, 'second, longer words');
        h.sim.faults.add({ kind: 'value', status: 500, path: new RegExp(encodeURIComponent(draft.id)), times: 1_000 });

        const { run } = await h.backup({ type: 'full' });
        expect(run).toMatchObject({ messagesFailed: 1, messagesDeleted: 0 });
        expect((await indexOf(h.storage, alice.id)).get(draft.id)).toMatchObject({ deletedAt: '', sha256: first });

        h.sim.faults.clear();
        await h.backup();
        expect((await indexOf(h.storage, alice.id)).get(draft.id)).toMatchObject({
            version: 2,
            sha256: draft.sha256(),
        });
    });
});

/** The same content again, as another tenant would receive it. */
function withAttachmentsInput(message: SimMessage) {
    return {
        mime: Buffer.concat([...message.chunks()]),
        subject: message.subject,
        receivedAt: message.receivedAt,
    };
}
