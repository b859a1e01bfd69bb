/**
 * The tenants the benchmark backs up, and the day of changes its incremental scenario replays. Built on the
 * simulator's generated demo tenant, so folders, sizes and attachments look like real mail.
 */
import { generateTenant, type SimUser, type Tenant } from '../sim';

/** Where the messages of a small-message mailbox go, round robin: nested folders included. */
const FOLDERS = ['Inbox', 'Inbox', 'Inbox/Projects', 'Inbox/Projects/2026', 'Sent Items', 'Archive/2025'];
const EPOCH = Date.UTC(2026, 0, 15, 9, 0, 0);
const SMALL_MIME = Buffer.from(
    [
        'From: Megan Bowen <meganb@fabrikam.com>',
        'To: Adele Vance <adele.vance@contoso.onmicrosoft.com>',
        'Subject: Weekly status',
        'Date: Thu, 15 Jan 2026 09:00:00 +0000',
        'Message-ID: <weekly-status@fabrikam.com>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'The numbers look good overall. '.repeat(100),
        '',
    ].join('\r\n'),
);

export function demoTenant(mailboxes: number, messagesPerMailbox: number): Tenant {
    return generateTenant({ mailboxes, messagesPerMailbox, seed: 42 });
}

/** One mailbox holding one message of `bytes` MIME bytes. */
export function largeMessageTenant(bytes: number): Tenant {
    return generateTenant({ mailboxes: 1, messagesPerMailbox: 0, largeMessageBytes: [bytes], seed: 42 });
}

/**
 * One mailbox of `count` messages spread over nested folders. Only the untimed seeding backup downloads
 * them, so they all serve the same small MIME: it is stored once, which keeps the seed off Azurite's
 * slow path (every blob write scans all blobs it holds).
 */
export function smallMessageTenant(count: number): Tenant {
    const tenant = generateTenant({ mailboxes: 1, messagesPerMailbox: 0, seed: 42 });
    const [user] = mailboxUsers(tenant);
    for (let i = 0; i < count; i++) {
        user?.addMessage(FOLDERS[i % FOLDERS.length] ?? 'Inbox', {
            subject: `Status ${i}`,
            mime: SMALL_MIME,
            isRead: i % 4 !== 0,
            receivedAt: new Date(EPOCH - i * 60_000),
        });
    }
    return tenant;
}

export function mailboxUsers(tenant: Tenant): SimUser[] {
    return tenant.users().filter((u) => u.hasMailbox);
}

/** Folders the engine syncs in a mailbox: every folder below the root, hidden ones too, but no search folder. */
export function syncedFolders(user: SimUser): number {
    return user.mailbox.root.subtree().filter((f) => f.parent && !f.search).length;
}

export interface DayOfChanges {
    /** Immutable ids of the messages whose content must be downloaded: the new ones and the edited drafts. */
    expectedDownloads: string[];
    added: number;
    editedDrafts: number;
    readOrFlagged: number;
    moved: number;
    deleted: number;
}

/**
 * A day of mail in every mailbox: 1% new messages, 5% read or flag changes, 0.5% moves, three deletions
 * and two edited drafts. Each change touches a different message.
 */
export function applyDayOfChanges(tenant: Tenant): DayOfChanges {
    const day: DayOfChanges = {
        expectedDownloads: [],
        added: 0,
        editedDrafts: 0,
        readOrFlagged: 0,
        moved: 0,
        deleted: 0,
    };
    for (const user of mailboxUsers(tenant)) {
        const messages = user.messages();
        const share = (fraction: number) => Math.round(messages.length * fraction);
        const plain = messages.filter((m) => !m.isDraft);
        let next = 0;
        const take = (count: number) => plain.slice(next, (next += count));
        take(share(0.05)).forEach((m, i) => {
            if (i % 2 === 0) user.markRead(m.id, !m.isRead);
            else user.setFlag(m.id, m.flagStatus === 'flagged' ? 'complete' : 'flagged');
            day.readOrFlagged++;
        });
        for (const m of take(share(0.005))) {
            user.moveMessage(m.id, m.folderPath === 'Archive/2025' ? 'Archive' : 'Archive/2025');
            day.moved++;
        }
        for (const m of take(3)) {
            user.deleteMessage(m.id);
            day.deleted++;
        }
        for (const m of messages.filter((m) => m.isDraft).slice(0, 2)) {
            user.editDraft(m.id, `Edited after review.\r\n\r\n${m.body}`);
            day.expectedDownloads.push(m.id);
            day.editedDrafts++;
        }
        for (let i = 0; i < share(0.01); i++) {
            const size = 4_000 + ((i * 7_919) % 60_000);
            const added = user.addMessage('Inbox', { subject: `New today ${i}`, size, receivedAt: new Date() });
            day.expectedDownloads.push(added.id);
            day.added++;
        }
    }
    return day;
}
