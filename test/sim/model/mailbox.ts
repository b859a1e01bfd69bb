import { DeltaSync } from './delta';
import { SimFolder, type FolderOptions } from './folder';
import { FolderDeltaSync } from './folderDelta';
import { folderId, immutableMessageId, MESSAGE_KEY_BYTES, parseMessageId } from './ids';
import type { MailAddress } from './mime';
import { SimMessage, type AttachmentInput, type FlagStatus, type MessageInput, type SimAttachment } from './message';
import type { Rng } from './rng';

/** The well-known folders every mailbox starts with, as top-level children of msgfolderroot. */
const WELL_KNOWN: [string, string][] = [
    ['inbox', 'Inbox'],
    ['sentitems', 'Sent Items'],
    ['drafts', 'Drafts'],
    ['deleteditems', 'Deleted Items'],
    ['archive', 'Archive'],
    ['junkemail', 'Junk Email'],
];

/**
 * One Exchange mailbox: the folder tree, the messages, and the change log message delta reads. Every mutation Graph
 * would report gives the message a new changeKey and lastModifiedDateTime and lands in the affected folders' logs.
 */
export class Mailbox {
    readonly root: SimFolder;
    /** parentFolderId of msgfolderroot (the "Top of Information Store" has a parent Graph never lists). */
    readonly rootParentId: string;
    readonly delta: DeltaSync;
    /** The hierarchy delta; its `hiddenFolders` chooses whether it reports hidden folders. */
    readonly folderDelta: FolderDeltaSync;
    /** Sequence number of the latest change in any folder. */
    seq = 0;
    private readonly foldersById = new Map<string, SimFolder>();
    private readonly wellKnown = new Map<string, SimFolder>();
    private readonly messagesById = new Map<string, SimMessage>();
    private nextOrdinal = 1;

    constructor(
        private readonly rng: Rng,
        private readonly owner: MailAddress,
    ) {
        this.delta = new DeltaSync(rng);
        this.folderDelta = new FolderDeltaSync(rng);
        this.rootParentId = folderId(rng.base64Url(22));
        this.root = this.createFolder(null, 'Top of Information Store', { wellKnownName: 'msgfolderroot' });
        for (const [wellKnownName, name] of WELL_KNOWN) this.createFolder(this.root, name, { wellKnownName });
        this.createFolder(this.root, 'Quick Step Settings', { isHidden: true });
        const inbox = this.folder('inbox');
        this.createFolder(this.root, 'Unread Mail', {
            search: {
                filterQuery: 'isRead eq false',
                includeNestedFolders: true,
                sourceFolderIds: [inbox.id],
                matches: () => inbox.subtree().flatMap((f) => [...f.messages.values()].filter((m) => !m.isRead)),
            },
        });
    }

    /** A folder by path of display names ('Inbox/Projects/2026'), well-known name ('inbox', 'inbox/Projects') or id. */
    folder(pathOrWellKnown: string): SimFolder {
        const folder = this.findFolder(pathOrWellKnown);
        if (!folder) throw new Error(`no folder '${pathOrWellKnown}'`);
        return folder;
    }

    findFolder(pathOrId: string): SimFolder | undefined {
        const byId = this.foldersById.get(pathOrId);
        if (byId) return byId;
        const [first = '', ...rest] = pathOrId.split('/');
        const wellKnown = this.wellKnown.get(first.toLowerCase());
        return wellKnown ? descend(wellKnown, rest.join('/')) : descend(this.root, pathOrId);
    }

    /** How Graph addresses a folder: by id or by well-known name, never by display name. */
    folderByIdOrWellKnown(key: string): SimFolder | undefined {
        return this.foldersById.get(key) ?? this.wellKnown.get(key.toLowerCase());
    }

    addFolder(parentPath: string | null, name: string): SimFolder {
        const parent = parentPath === null ? this.root : this.folder(parentPath);
        if (parent.children.some((c) => c.displayName.toLowerCase() === name.toLowerCase())) {
            throw new Error(`a folder named '${name}' already exists in '${parent.path}'`);
        }
        return this.createFolder(parent, name, {});
    }

    renameFolder(path: string, newName: string): void {
        this.folder(path).displayName = newName;
    }

    /** Deletes a folder and everything below it for good; its delta links then answer 404. */
    deleteFolder(path: string): void {
        const folder = this.folder(path);
        if (!folder.parent || folder.wellKnownName) throw new Error(`cannot delete the well-known folder '${path}'`);
        folder.parent.children.splice(folder.parent.children.indexOf(folder), 1);
        for (const f of folder.subtree()) {
            f.deleted = true;
            this.foldersById.delete(f.id);
            for (const m of f.messages.values()) {
                m.deleted = true;
                this.messagesById.delete(m.id);
            }
        }
    }

    addMessage(folderPath: string, input: MessageInput = {}): SimMessage {
        const folder = this.folder(folderPath);
        if (!folder.parent || folder.search) throw new Error(`'${folderPath}' cannot hold messages`);
        const id = immutableMessageId(this.rng.base64Url(MESSAGE_KEY_BYTES));
        const message = new SimMessage(id, folder, this.owner, input, this.changeKey());
        folder.messages.set(message.id, message);
        this.messagesById.set(message.id, message);
        this.record(folder, message, false);
        return message;
    }

    /** A live message by immutable id, or by regular id as long as it was issued for the folder it is in now. */
    findMessage(id: string): SimMessage | undefined {
        const parsed = parseMessageId(id);
        const message = parsed && this.messagesById.get(parsed.immutableId);
        if (!parsed || !message) return undefined;
        const stale = parsed.folderOrdinal !== undefined && parsed.folderOrdinal !== message.folder.ordinal;
        return stale ? undefined : message;
    }

    message(id: string): SimMessage {
        const message = this.findMessage(id);
        if (!message) throw new Error(`no message '${id}'`);
        return message;
    }

    messages(): SimMessage[] {
        return [...this.messagesById.values()];
    }

    deleteMessage(id: string): void {
        const message = this.message(id);
        message.deleted = true;
        message.folder.messages.delete(message.id);
        this.messagesById.delete(message.id);
        this.record(message.folder, message, true);
    }

    /** Same immutable id afterwards; the source reports @removed and the destination the item as new. */
    moveMessage(id: string, destFolderPath: string): void {
        const message = this.message(id);
        const destination = this.folder(destFolderPath);
        if (!destination.parent || destination.search) throw new Error(`'${destFolderPath}' cannot hold messages`);
        const source = message.folder;
        if (source === destination) return;
        source.messages.delete(message.id);
        this.record(source, message, true);
        message.folder = destination;
        destination.messages.set(message.id, message);
        this.update(message);
    }

    markRead(id: string, isRead: boolean): void {
        const message = this.message(id);
        message.isRead = isRead;
        this.update(message);
    }

    setFlag(id: string, flagStatus: FlagStatus): void {
        const message = this.message(id);
        message.flagStatus = flagStatus;
        this.update(message);
    }

    setCategories(id: string, categories: string[]): void {
        const message = this.message(id);
        message.categories = [...categories];
        this.update(message);
    }

    addAttachment(id: string, input: AttachmentInput): SimAttachment {
        const message = this.message(id);
        const attachment = message.attach(input);
        this.update(message);
        return attachment;
    }

    editDraft(id: string, newBody: string): void {
        const message = this.message(id);
        if (!message.isDraft) throw new Error(`message '${id}' is not a draft`);
        message.replaceBody(newBody);
        this.update(message);
    }

    private update(message: SimMessage): void {
        message.touch(this.changeKey());
        this.record(message.folder, message, false);
    }

    private record(folder: SimFolder, message: SimMessage, removed: boolean): void {
        this.seq++;
        if (this.delta.tracking) folder.record(this.seq, message, removed);
    }

    private changeKey(): string {
        return `CQAAABYAAA${this.rng.base64Url(15)}`;
    }

    private createFolder(parent: SimFolder | null, name: string, options: FolderOptions): SimFolder {
        const folder = new SimFolder(folderId(this.rng.base64Url(22)), this.nextOrdinal++, name, parent, options);
        parent?.children.push(folder);
        this.foldersById.set(folder.id, folder);
        if (folder.wellKnownName) this.wellKnown.set(folder.wellKnownName, folder);
        return folder;
    }
}

/** Follows a path of display names; a name may itself contain '/', so the longest matching child wins. */
function descend(folder: SimFolder, path: string): SimFolder | undefined {
    if (path === '') return folder;
    const lower = path.toLowerCase();
    const candidates = folder.children
        .filter((c) => {
            const name = c.displayName.toLowerCase();
            return lower === name || lower.startsWith(`${name}/`);
        })
        .sort((a, b) => b.displayName.length - a.displayName.length);
    for (const child of candidates) {
        const found = descend(child, path.slice(child.displayName.length + 1));
        if (found) return found;
    }
    return undefined;
}
