import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import { describe, expect, it } from 'vitest';

import { readMessage } from '../../src/mime/readMessage';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const read = (lines: string[], ...rest: Parameters<typeof readMessage> extends [unknown, ...infer R] ? R : never) =>
    readMessage(Readable.from([Buffer.from(lines.join('\r\n'))]), ...rest);

const FORWARDED = [
    'From: "Old Sender" <old@fabrikam.com>',
    'Subject: Inner',
    'Content-Type: text/plain',
    '',
    'Hello inner',
    '',
].join('\r\n');

const MESSAGE = [
    'From: "Adele Vance" <adele@contoso.com>',
    'To: "Bob" <bob@contoso.com>, carol@contoso.com',
    'Cc: Team: dan@contoso.com, eve@contoso.com;',
    'Reply-To: replies@contoso.com',
    'Subject: =?UTF-8?B?SMOpbGxv?=',
    'Date: Tue, 2 Jan 2024 10:00:00 +0100',
    'Message-ID: <abc@contoso.com>',
    'In-Reply-To: <p@contoso.com>',
    'References: <a@contoso.com> <p@contoso.com>',
    'X-Priority: 1 (Highest)',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="OUTER"',
    '',
    '--OUTER',
    'Content-Type: multipart/related; boundary="REL"',
    '',
    '--REL',
    'Content-Type: multipart/alternative; boundary="ALT"',
    '',
    '--ALT',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hi',
    '--ALT',
    'Content-Type: text/html; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '<p>Gr=FC=DFe <img src=3D"cid:logo@contoso.com"></p>',
    '--ALT--',
    '--REL',
    'Content-Type: image/png; name="logo.png"',
    'Content-ID: <logo@contoso.com>',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('PNG bytes').toString('base64'),
    '--REL--',
    '--OUTER',
    'Content-Type: application/octet-stream; name="figures.xlsx"',
    'Content-Disposition: attachment; filename="figures.xlsx"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('spreadsheet').toString('base64'),
    '--OUTER',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment; filename="Inner.eml"',
    '',
    FORWARDED,
    '--OUTER',
    'Content-Type: message/external-body; access-type=URL; URL="https://contoso.sharepoint.com/plan.docx"; name="plan.docx"',
    'Content-Disposition: attachment; filename="plan.docx"',
    '',
    'Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    '',
    '--OUTER--',
    '',
];

describe('reading a message from its MIME', () => {
    it('gives the headers and recipients in Graph shapes, groups flattened and words decoded', async () => {
        const message = await read(MESSAGE);
        expect(message).toMatchObject({
            internetMessageId: '<abc@contoso.com>',
            inReplyTo: '<p@contoso.com>',
            references: ['<a@contoso.com>', '<p@contoso.com>'],
            subject: 'Héllo',
            from: { emailAddress: { name: 'Adele Vance', address: 'adele@contoso.com' } },
            toRecipients: [
                { emailAddress: { name: 'Bob', address: 'bob@contoso.com' } },
                { emailAddress: { name: '', address: 'carol@contoso.com' } },
            ],
            ccRecipients: [
                { emailAddress: { address: 'dan@contoso.com' } },
                { emailAddress: { address: 'eve@contoso.com' } },
            ],
            replyTo: [{ emailAddress: { address: 'replies@contoso.com' } }],
            bccRecipients: [],
            sentDateTime: '2024-01-02T09:00:00.000Z',
            importance: 'high',
        });
    });

    it('takes the HTML alternative as the body, in its charset, with its cid: links as written', async () => {
        const { body } = await read(MESSAGE);
        expect(body).toMatchObject({
            contentType: 'html',
            charset: 'iso-8859-1',
            content: '<p>Grüße <img src="cid:logo@contoso.com"></p>',
        });
        expect(body.sha256).toBe(sha256(Buffer.from('<p>Gr\xfc\xdfe <img src="cid:logo@contoso.com"></p>', 'latin1')));
    });

    it('reports every attachment by kind, with the type it declares and the checksum of its decoded bytes', async () => {
        const seen: string[] = [];
        const message = await read(MESSAGE, async (part, content) => {
            seen.push(`${part.kind}:${part.name}:${(await buffer(content)).length}`);
        });
        expect(message.attachments).toEqual([
            {
                kind: 'file',
                name: 'logo.png',
                contentType: 'image/png',
                isInline: true,
                contentId: 'logo@contoso.com',
                size: 9,
                sha256: sha256('PNG bytes'),
            },
            {
                kind: 'file',
                name: 'figures.xlsx',
                contentType: 'application/octet-stream',
                isInline: false,
                size: 11,
                sha256: sha256('spreadsheet'),
            },
            {
                kind: 'item',
                name: 'Inner.eml',
                contentType: 'message/rfc822',
                isInline: false,
                size: expect.any(Number) as number,
                sha256: expect.any(String) as string,
            },
            {
                kind: 'reference',
                name: 'plan.docx',
                contentType: 'message/external-body',
                isInline: false,
                sourceUrl: 'https://contoso.sharepoint.com/plan.docx',
                size: expect.any(Number) as number,
                sha256: expect.any(String) as string,
            },
        ]);
        expect(seen).toEqual([
            'file:logo.png:9',
            'file:figures.xlsx:11',
            expect.stringMatching(/^item:Inner.eml:/),
            expect.stringMatching(/^reference:plan.docx:/),
        ]);
    });

    it('describes a body over the limit without holding it, and hands its bytes on', async () => {
        const text = 'minutes of the meeting\r\n'.repeat(2_000);
        const kept: Buffer[] = [];
        const { body } = await read(['Subject: long', 'Content-Type: text/plain; charset=utf-8', '', text], undefined, {
            bodyLimit: 1_024,
            longBody: async (content) => void kept.push(await buffer(content)),
        });
        expect(body.content).toBeUndefined();
        expect(body.size).toBe(Buffer.concat(kept).length);
        expect(body.sha256).toBe(sha256(Buffer.concat(kept)));
        expect(body.size).toBeGreaterThan(40_000);
    });
});
