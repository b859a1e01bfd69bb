import { type DirectoryUser, listUsers } from '../graph/directory';
import type { MailboxGraph } from '../graph/mailboxGraph';
import type { Mailbox } from '../common/mailbox';

export interface SkippedUser {
    id: string;
    userPrincipalName: string;
    reason: string;
}

export interface Discovery {
    mailboxes: Mailbox[];
    /** Users without a mailbox to back up: reported, never a failure. */
    skipped: SkippedUser[];
    /** Names given with --mailbox that match no user of the tenant. */
    unknown: string[];
}

export interface MailboxFilter {
    /** Only these mailboxes (UPN or primary address, any case); empty or undefined means all. */
    include?: string[];
    exclude?: string[];
}

/**
 * Every user that may have an Exchange Online mailbox: members with a mail address and shared
 * mailboxes (disabled accounts that still have mail; docs/graph-behaviour.md, "Users and shared mailboxes").
 * Guests and users without mail are skipped here; users whose mailbox Graph cannot reach (unlicensed, on-premises) are
 * found out at their first mail call and skipped then.
 */
export async function discoverMailboxes(directory: MailboxGraph, filter: MailboxFilter = {}): Promise<Discovery> {
    const include = normalised(filter.include);
    const exclude = normalised(filter.exclude);
    const users = await listUsers(directory);
    const matched = new Set<string>();
    const discovery: Discovery = { mailboxes: [], skipped: [], unknown: [] };
    for (const user of users) {
        const names = [user.userPrincipalName, user.mail].filter(Boolean).map((n) => n!.toLowerCase());
        if (names.some((n) => exclude.has(n))) continue;
        if (include.size > 0) {
            const hits = names.filter((n) => include.has(n));
            if (hits.length === 0) continue;
            hits.forEach((n) => matched.add(n));
        }
        const reason = skipReason(user);
        const entry = { id: user.id ?? '', userPrincipalName: user.userPrincipalName ?? user.id ?? '' };
        if (reason) discovery.skipped.push({ ...entry, reason });
        else
            discovery.mailboxes.push({
                ...entry,
                displayName: user.displayName ?? '',
                shared: user.accountEnabled === false,
            });
    }
    discovery.unknown = [...include].filter((n) => !matched.has(n));
    return discovery;
}

function skipReason(user: DirectoryUser): string | undefined {
    if (!user.id) return 'no object id';
    if (user.userType === 'Guest') return 'guest account (its mailbox is in its home tenant)';
    if (!user.mail) return 'no mailbox (no mail address)';
    return undefined;
}

function normalised(names: string[] | undefined): Set<string> {
    return new Set((names ?? []).map((n) => n.trim().toLowerCase()).filter(Boolean));
}
