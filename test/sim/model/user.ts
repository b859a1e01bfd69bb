import type { SimFolder } from './folder';
import { Mailbox } from './mailbox';
import type { FlagStatus, MessageInput, SimMessage } from './message';
import type { Rng } from './rng';

/**
 * member: licensed user with a mailbox. shared: shared mailbox (a disabled account with mail set:
 * docs/graph-behaviour.md, "Users and shared mailboxes"). noMailbox: no Exchange mailbox and no mail address. guest:
 * B2B guest, no mailbox. notEnabled: mail is set but the mailbox is not reachable through REST (inactive, soft-deleted
 * or on-premises).
 */
export type UserKind = 'member' | 'shared' | 'noMailbox' | 'guest' | 'notEnabled';

export interface UserInput {
    upn: string;
    displayName?: string;
    kind?: UserKind;
}

export class SimUser {
    readonly id: string;
    readonly upn: string;
    readonly kind: UserKind;
    readonly displayName: string;
    readonly mail: string | null;
    readonly accountEnabled: boolean;
    readonly userType: 'Member' | 'Guest';
    readonly createdAt = new Date();
    private readonly box: Mailbox | undefined;

    constructor(rng: Rng, input: UserInput, tenantDomain: string) {
        this.kind = input.kind ?? 'member';
        this.id = rng.guid();
        const external = this.kind === 'guest' ? guestAddress(input.upn) : undefined;
        this.upn = external ? guestUpn(external, tenantDomain) : input.upn;
        this.displayName = input.displayName ?? nameFrom(external ?? input.upn);
        this.mail = this.kind === 'noMailbox' ? null : (external ?? input.upn);
        this.accountEnabled = this.kind !== 'shared';
        this.userType = this.kind === 'guest' ? 'Guest' : 'Member';
        const hasMailbox = this.kind === 'member' || this.kind === 'shared';
        this.box = hasMailbox ? new Mailbox(rng, { name: this.displayName, address: this.upn }) : undefined;
    }

    /** Whether Graph mail calls work for this user; the others answer 404 MailboxNotEnabledForRESTAPI. */
    get hasMailbox(): boolean {
        return this.box !== undefined;
    }

    get mailbox(): Mailbox {
        if (!this.box) throw new Error(`${this.upn} (${this.kind}) has no mailbox`);
        return this.box;
    }

    folder(pathOrWellKnown: string): SimFolder {
        return this.mailbox.folder(pathOrWellKnown);
    }

    addFolder(parentPath: string | null, name: string): SimFolder {
        return this.mailbox.addFolder(parentPath, name);
    }

    renameFolder(path: string, newName: string): void {
        this.mailbox.renameFolder(path, newName);
    }

    deleteFolder(path: string): void {
        this.mailbox.deleteFolder(path);
    }

    addMessage(folderPath: string, input?: MessageInput): SimMessage {
        return this.mailbox.addMessage(folderPath, input);
    }

    message(id: string): SimMessage {
        return this.mailbox.message(id);
    }

    messages(): SimMessage[] {
        return this.box ? this.box.messages() : [];
    }

    deleteMessage(id: string): void {
        this.mailbox.deleteMessage(id);
    }

    moveMessage(id: string, destFolderPath: string): void {
        this.mailbox.moveMessage(id, destFolderPath);
    }

    markRead(id: string, isRead: boolean): void {
        this.mailbox.markRead(id, isRead);
    }

    setFlag(id: string, flagStatus: FlagStatus): void {
        this.mailbox.setFlag(id, flagStatus);
    }

    setCategories(id: string, categories: string[]): void {
        this.mailbox.setCategories(id, categories);
    }

    editDraft(id: string, newBody: string): void {
        this.mailbox.editDraft(id, newBody);
    }

    /** Every delta nextLink and deltaLink issued so far answers 410 SyncStateNotFound from now on. */
    expireDeltaTokens(): void {
        this.mailbox.delta.expire();
    }
}

/** 'ext_alice#EXT#@contoso.onmicrosoft.com' or 'alice@fabrikam.com' → 'alice@fabrikam.com'. */
function guestAddress(upn: string): string {
    const marker = upn.indexOf('#EXT#');
    if (marker < 0) return upn;
    const local = upn.slice(0, marker);
    const at = local.lastIndexOf('_');
    return at < 0 ? local : `${local.slice(0, at)}@${local.slice(at + 1)}`;
}

/** Entra's guest UPN: the external address with '@' as '_', then '#EXT#@' and the tenant's initial domain. */
function guestUpn(external: string, tenantDomain: string): string {
    return `${external.replace('@', '_')}#EXT#@${tenantDomain}`;
}

function nameFrom(address: string): string {
    const local = address.split('@')[0] ?? address;
    return local
        .split(/[._-]/)
        .filter(Boolean)
        .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
        .join(' ');
}
