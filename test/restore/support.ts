import { expect } from 'vitest';

import {
    newRestoreId,
    restoreMailbox,
    type RestoreOutcome,
    type RestoreRequest,
} from '../../src/restore/restoreMailbox';
import type { SimMessage, SimUser } from '../sim';
import { graphDate } from '../sim/graph/odata';
import { engineFor } from '../support/engine';
import type { Harness } from '../support/harness';

/** Runs the restore engine as the CLI and the Functions app do, with a fresh restore id unless one is given. */
export function restore(
    h: Harness,
    request: Omit<RestoreRequest, 'restoreId'> & { restoreId?: string },
    options: { deadline?: number } = {},
): Promise<RestoreOutcome> {
    return restoreMailbox(engineFor(h), { restoreId: newRestoreId(new Date()), ...request }, options);
}

/** What a person compares between an original and its restored copy; Graph tells times in whole seconds. */
export function meaningOf(message: SimMessage): unknown {
    return {
        internetMessageId: message.internetMessageId,
        inReplyTo: message.inReplyTo,
        references: [...message.references],
        subject: message.subject,
        from: message.from,
        sender: message.sender,
        to: message.toRecipients,
        cc: message.ccRecipients,
        bcc: message.bccRecipients,
        replyTo: message.replyTo,
        // The text as a reader sees it: a MIME parser hands lines back ending in LF, and the restore passes that on.
        body: { type: message.bodyType, text: message.body.replace(/\r\n/g, '\n').replace(/\n*$/, '\n') },
        importance: message.importance,
        sentAt: graphDate(message.sentAt),
        receivedAt: graphDate(message.receivedAt),
        isDraft: message.isDraft,
        isRead: message.isRead,
        flag: message.flagStatus,
        categories: [...message.categories],
        attachments: message.attachments.map((a) => ({
            kind: a.kind,
            name: a.name,
            contentType: a.contentType,
            isInline: a.isInline,
            // An inline image keeps the Content-ID its `cid:` link in the body refers to.
            contentId: a.isInline ? a.contentId : null,
            sourceUrl: a.sourceUrl,
            // A forwarded message is recreated from its fields, so its MIME bytes differ (compared by meaning in
            // restoreFidelity.test.ts); a file's bytes are exact.
            ...(a.kind === 'file' ? { size: a.size, sha256: a.sha256() } : {}),
        })),
    };
}

/**
 * The target holds, under `root`, exactly the given source messages, each in the folder of the same path and
 * with the same meaning; returns the restored messages.
 */
export function expectRestored(target: SimUser, root: string, originals: SimMessage[]): SimMessage[] {
    const restored = target.messages().filter((m) => m.folderPath.startsWith(`${root}/`));
    const key = (m: SimMessage, path: string) => `${path}|${m.subject}`;
    expect(restored.map((m) => key(m, m.folderPath)).sort()).toEqual(
        originals.map((m) => key(m, `${root}/${m.folderPath}`)).sort(),
    );
    for (const original of originals) {
        const copy = restored.find(
            (m) => m.subject === original.subject && m.folderPath === `${root}/${original.folderPath}`,
        );
        expect(meaningOf(copy!), original.subject).toEqual(meaningOf(original));
    }
    return restored;
}
