import { Readable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { readMessage, type ReadMessage } from '../../src/mime/readMessage';
import {
    attachedMessage,
    type MailboxState,
    RESTORED_FROM_PROPERTY,
    restoredMessage,
} from '../../src/restore/messageFields';
import { UnrestorableMessageError } from '../../src/restore/restoreErrors';

const REPLY = [
    'From: "Adele Vance" <adele@contoso.com>',
    'To: bob@contoso.com',
    'Cc: carol@contoso.com',
    'Subject: Re: Budget',
    'Date: Tue, 2 Jan 2024 10:00:00 +0100',
    'Message-ID: <reply@contoso.com>',
    'In-Reply-To: <question@contoso.com>',
    'References: <start@contoso.com> <question@contoso.com>',
    'Importance: high',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Agreed.',
    '',
].join('\r\n');

const readOf = (mime: string, bodyLimit?: number): Promise<ReadMessage> =>
    readMessage(Readable.from([Buffer.from(mime)]), undefined, { bodyLimit });

const state = (overrides: Partial<MailboxState> = {}): MailboxState => ({
    isRead: true,
    flagStatus: 'flagged',
    categories: ['Blue category'],
    isDraft: false,
    receivedAt: '2024-01-02T09:00:05Z',
    ...overrides,
});

/** The extended properties a message is created with, by id. */
const properties = (message: { singleValueExtendedProperties: { id: string; value: string }[] }) =>
    Object.fromEntries(message.singleValueExtendedProperties.map((p) => [p.id, p.value]));

describe('the message a restore asks Graph to create', () => {
    it('is received mail, not a draft, with its original sent and received times', async () => {
        const message = restoredMessage(await readOf(REPLY), state(), 'restore-1/source-1');

        expect(properties(message)).toMatchObject({
            'Integer 0x0E07': '4',
            'SystemTime 0x0039': '2024-01-02T09:00:00.000Z',
            'SystemTime 0x0E06': '2024-01-02T09:00:05Z',
        });
    });

    it('stays a draft when it was one', async () => {
        const message = restoredMessage(await readOf(REPLY), state({ isDraft: true }), 'restore-1/source-1');

        expect(properties(message)['Integer 0x0E07']).toBe('8');
    });

    it('keeps its place in the conversation: In-Reply-To, References and its Message-ID', async () => {
        const message = restoredMessage(await readOf(REPLY), state(), 'restore-1/source-1');

        expect(message.internetMessageId).toBe('<reply@contoso.com>');
        expect(properties(message)).toMatchObject({
            'String 0x1042': '<question@contoso.com>',
            'String 0x1039': '<start@contoso.com> <question@contoso.com>',
        });
    });

    it('has the state the mailbox showed: read, flag and categories', async () => {
        const message = restoredMessage(await readOf(REPLY), state(), 'restore-1/source-1');

        expect(message).toMatchObject({
            isRead: true,
            flag: { flagStatus: 'flagged' },
            categories: ['Blue category'],
            importance: 'high',
            subject: 'Re: Budget',
            body: { contentType: 'text', content: 'Agreed.\r\n' },
            toRecipients: [{ emailAddress: { address: 'bob@contoso.com' } }],
            ccRecipients: [{ emailAddress: { address: 'carol@contoso.com' } }],
        });
        const unflagged = restoredMessage(await readOf(REPLY), state({ flagStatus: '' }), 'restore-1/source-1');
        expect(unflagged.flag).toEqual({ flagStatus: 'notFlagged' });
    });

    it('carries the mark by which the restore finds it again, and that only', async () => {
        const message = restoredMessage(await readOf(REPLY), state(), 'restore-1/source-1');

        expect(properties(message)[RESTORED_FROM_PROPERTY]).toBe('restore-1/source-1');
        expect(properties(attachedMessage(await readOf(REPLY)))[RESTORED_FROM_PROPERTY]).toBeUndefined();
    });

    it('takes the sent time as received time when the backup never learnt when it arrived', async () => {
        const message = restoredMessage(await readOf(REPLY), state({ receivedAt: '' }), 'restore-1/source-1');

        expect(properties(message)['SystemTime 0x0E06']).toBe('2024-01-02T09:00:00.000Z');
    });

    it('sends no empty recipient lists and no properties for headers the message lacks', async () => {
        const bare = ['From: adele@contoso.com', 'Subject: note', '', 'hi', ''].join('\r\n');

        const message = restoredMessage(await readOf(bare), state({ receivedAt: '' }), 'restore-1/source-1');

        expect(message).not.toHaveProperty('toRecipients');
        expect(message).not.toHaveProperty('ccRecipients');
        expect(message).not.toHaveProperty('internetMessageId');
        expect(Object.keys(properties(message)).sort()).toEqual(['Integer 0x0E07', RESTORED_FROM_PROPERTY].sort());
    });

    it('refuses a body over the request cap with a reason the report can show', async () => {
        const long = await readOf(REPLY.replace('Agreed.', 'x'.repeat(5_000)), 1_000);

        expect(() => restoredMessage(long, state(), 'restore-1/source-1')).toThrow(UnrestorableMessageError);
        expect(() => restoredMessage(long, state(), 'restore-1/source-1')).toThrow(/larger than Graph's 4 MB/);
    });
});

describe('a forwarded message recreated as an attachment', () => {
    it('is not a draft and was received when it was sent', async () => {
        const message = attachedMessage(await readOf(REPLY));

        expect(properties(message)).toMatchObject({
            'Integer 0x0E07': '4',
            'SystemTime 0x0039': '2024-01-02T09:00:00.000Z',
            'SystemTime 0x0E06': '2024-01-02T09:00:00.000Z',
        });
        expect(message).not.toHaveProperty('isRead');
    });
});
