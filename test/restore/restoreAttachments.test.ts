import { Readable } from 'node:stream';

import { GraphError } from '@microsoft/microsoft-graph-client';
import { describe, expect, it } from 'vitest';

import type { MailWriter, NewAttachment } from '../../src/graph/mailWriter';
import type { CopyAttachment } from '../../src/mime/messageCopy';
import type { BackedUpMessage } from '../../src/restore/backedUpMessage';
import { restoreAttachments } from '../../src/restore/restoreAttachments';

const FORWARDED = Buffer.from(
    [
        'From: dan@fabrikam.com',
        'To: meganb@fabrikam.com',
        'Subject: The plan',
        'Date: Fri, 28 Mar 2025 17:00:00 +0000',
        'Message-ID: <the-plan@fabrikam.com>',
        '',
        'Step one, step two.',
        '',
    ].join('\r\n'),
);

/** A writer as Graph would be if it refused item and reference attachments (400), recording what was added. */
function refusingWriter(added: { name: string; contentType: string; bytes: string }[]): MailWriter {
    const refuse = () => Promise.reject(new GraphError(400, 'The request is not valid for this attachment.'));
    return {
        addItemAttachment: refuse,
        addReferenceAttachment: refuse,
        addAttachment: (_id: string, meta: NewAttachment, bytes: Buffer) => {
            added.push({ name: meta.name, contentType: meta.contentType, bytes: bytes.toString('utf8') });
            return Promise.resolve();
        },
    } as unknown as MailWriter;
}

function backedUp(parts: [CopyAttachment, Buffer | undefined][]): BackedUpMessage {
    return {
        message: {} as BackedUpMessage['message'],
        async forEachAttachment(handle) {
            for (const [attachment, bytes] of parts) await handle(attachment, bytes && Readable.from([bytes]));
        },
    };
}

describe('parts Graph refuses to create', () => {
    it('attach a forwarded message as its .eml and a cloud link as an Internet shortcut, counted as approximated', async () => {
        const added: { name: string; contentType: string; bytes: string }[] = [];
        const item: CopyAttachment = {
            kind: 'item',
            name: 'The plan',
            contentType: 'message/rfc822',
            size: FORWARDED.length,
            sha256: '',
            isInline: false,
        };
        const link: CopyAttachment = {
            kind: 'reference',
            name: 'Plan.docx',
            contentType: 'message/external-body',
            size: 0,
            sha256: '',
            isInline: false,
            sourceUrl: 'https://contoso.sharepoint.com/sites/x/Plan.docx',
        };

        const result = await restoreAttachments(
            refusingWriter(added),
            'target-id',
            backedUp([
                [item, FORWARDED],
                [link, undefined],
            ]),
        );

        expect(result.partsApproximated).toBe(2);
        expect(added).toEqual([
            { name: 'The plan.eml', contentType: 'message/rfc822', bytes: FORWARDED.toString() },
            {
                name: 'Plan.docx.url',
                contentType: 'application/internet-shortcut',
                bytes: '[InternetShortcut]\r\nURL=https://contoso.sharepoint.com/sites/x/Plan.docx\r\n',
            },
        ]);
    });
});
