import type { AttachmentInput, FlagStatus, MessageInput } from './message';
import type { Rng } from './rng';
import { Tenant } from './tenant';
import type { SimUser } from './user';

export interface DemoTenantOptions {
    /** Users with a mailbox (members plus a couple of shared mailboxes). */
    mailboxes: number;
    messagesPerMailbox: number;
    seed?: number;
    /** Extra messages of exactly these MIME sizes, in the first member's Inbox. */
    largeMessageBytes?: number[];
}

const FIRST = ['adele', 'alex', 'diego', 'grady', 'henrietta', 'isaiah', 'johanna', 'joni', 'lee', 'lidia', 'lynne', 'megan', 'miriam', 'nestor', 'patti', 'pradeep']; // prettier-ignore
const LAST = ['vance', 'wilber', 'siciliani', 'archie', 'mueller', 'langer', 'lorenz', 'sherman', 'gu', 'holloway', 'robbins', 'bowen', 'graham', 'wilke', 'fernandez', 'gupta']; // prettier-ignore
const TOPICS = ['Quarterly review', 'Budget 2026', 'Team offsite', 'Invoice', 'Contract renewal', 'Release notes', 'Hiring plan', 'Customer feedback', 'Travel booking', 'Weekly status', 'Café order – Ünïcode ✓']; // prettier-ignore
const SENTENCES = ['Please find the latest figures below.', 'Can we move the meeting to Thursday?', 'Thanks for the quick turnaround.', 'I have attached the document we discussed.', 'Let me know if anything is unclear.', 'The numbers look good overall.']; // prettier-ignore
const FILES: [string, string][] = [
    ['report.pdf', 'application/pdf'],
    ['invoice.pdf', 'application/pdf'],
    ['photo.jpg', 'image/jpeg'],
    ['notes.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['figures.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
];
/** Where messages land, with weights: most in Inbox and Sent Items, some deep in nested folders. */
const PLACEMENT: [string, number][] = [
    ['Inbox', 35],
    ['Inbox/Projects', 8],
    ['Inbox/Projects/2026', 7],
    ['Inbox/Receipts', 5],
    ['Sent Items', 18],
    ['Archive', 8],
    ['Archive/2025', 10],
    ['Drafts', 2],
    ['Deleted Items', 4],
    ['Junk Email', 3],
];
const EPOCH = Date.UTC(2026, 0, 15, 9, 0, 0);

/**
 * A realistic, reproducible tenant: members, shared mailboxes, and one each of a user without a mailbox, a guest
 * and a user whose mailbox is not reachable. MIME is generated only when served, so 50 × 2,000 messages is quick.
 */
export function generateTenant(options: DemoTenantOptions): Tenant {
    const tenant = new Tenant({ seed: options.seed ?? 1 });
    const shared = options.mailboxes >= 5 ? 2 : options.mailboxes >= 2 ? 1 : 0;
    const mailboxes: SimUser[] = [];
    for (let i = 0; i < options.mailboxes - shared; i++) {
        const first = FIRST[i % FIRST.length] ?? 'user';
        const last = LAST[Math.floor(i / FIRST.length) % LAST.length] ?? 'user';
        const suffix = i >= FIRST.length * LAST.length ? String(i) : '';
        mailboxes.push(tenant.addUser({ upn: `${first}.${last}${suffix}@${tenant.domain}` }));
    }
    for (const name of ['info', 'support'].slice(0, shared)) {
        mailboxes.push(tenant.addUser({ upn: `${name}@${tenant.domain}`, kind: 'shared' }));
    }
    tenant.addUser({ upn: `svc.scanner@${tenant.domain}`, displayName: 'Scanner Service', kind: 'noMailbox' });
    tenant.addUser({ upn: 'partner@fabrikam.com', displayName: 'Fabrikam Partner', kind: 'guest' });
    tenant.addUser({ upn: `onprem.user@${tenant.domain}`, kind: 'notEnabled' });

    for (const user of mailboxes) {
        user.addFolder('Inbox', 'Projects');
        user.addFolder('Inbox/Projects', '2026');
        user.addFolder('Inbox', 'Receipts');
        user.addFolder('Archive', '2025');
        for (let n = 0; n < options.messagesPerMailbox; n++) {
            const folder = weighted(tenant.rng, PLACEMENT);
            user.addMessage(folder, demoMessage(tenant.rng, folder));
        }
    }
    const [firstMember] = mailboxes;
    for (const [i, size] of (options.largeMessageBytes ?? []).entries()) {
        firstMember?.addMessage('Inbox', { subject: `Large message ${i + 1}`, size, receivedAt: new Date(EPOCH) });
    }
    return tenant;
}

function demoMessage(rng: Rng, folder: string): MessageInput {
    // Log-uniform between 2 KB and 200 KB: many small messages, a few large ones.
    const size = Math.round(2048 * 100 ** rng.next());
    const attachments: AttachmentInput[] = [];
    if (rng.chance(0.2)) {
        const count = rng.int(1, 2);
        for (let i = 0; i < count; i++) {
            const [name, contentType] = rng.pick(FILES);
            const isInline = contentType === 'image/jpeg' && rng.chance(0.5);
            attachments.push({ name, contentType, isInline, size: Math.max(64, Math.floor((size * 0.5) / count)) });
        }
    }
    const flag: FlagStatus = rng.chance(0.05) ? 'flagged' : rng.chance(0.02) ? 'complete' : 'notFlagged';
    const sentences = Array.from({ length: rng.int(2, 4) }, () => rng.pick(SENTENCES));
    return {
        subject: `${rng.pick(TOPICS)} #${rng.int(1, 9999)}`,
        body: `Hi,\r\n\r\n${sentences.join(' ')}\r\n\r\nBest regards\r\n`,
        size,
        attachments,
        isDraft: folder === 'Drafts',
        isRead: folder === 'Sent Items' || folder === 'Drafts' || rng.chance(0.75),
        flag,
        categories: rng.chance(0.1) ? [rng.pick(['Blue category', 'Red category', 'Green category'])] : [],
        receivedAt: new Date(EPOCH - rng.int(0, 2 * 365 * 24 * 60) * 60_000),
    };
}

function weighted(rng: Rng, choices: [string, number][]): string {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let roll = rng.next() * total;
    for (const [choice, weight] of choices) {
        roll -= weight;
        if (roll < 0) return choice;
    }
    return choices[0]?.[0] ?? 'Inbox';
}
