import type { SimMessage } from './message';

/** One entry of a folder's change log, read by message delta. */
export interface ChangeEntry {
    seq: number;
    message: SimMessage;
    /** True when the message left the folder (deleted or moved out). */
    removed: boolean;
}

export interface SearchFolderDefinition {
    filterQuery: string;
    includeNestedFolders: boolean;
    sourceFolderIds: string[];
    /** Messages the search currently matches. */
    matches(): SimMessage[];
}

export interface FolderOptions {
    isHidden?: boolean;
    wellKnownName?: string;
    search?: SearchFolderDefinition;
}

export class SimFolder {
    readonly children: SimFolder[] = [];
    readonly messages = new Map<string, SimMessage>();
    readonly changes: ChangeEntry[] = [];
    deleted = false;

    constructor(
        readonly id: string,
        /** Small number embedded in regular message ids, which therefore change when a message moves. */
        readonly ordinal: number,
        public displayName: string,
        /** Changes only through moveTo. */
        public parent: SimFolder | null,
        private readonly options: FolderOptions = {},
    ) {}

    get isHidden(): boolean {
        return this.options.isHidden ?? false;
    }

    /** Hides or shows the folder, as a client setting PR_ATTR_HIDDEN does: it keeps its id and its messages. */
    set isHidden(hidden: boolean) {
        this.options.isHidden = hidden;
    }

    get wellKnownName(): string | undefined {
        return this.options.wellKnownName;
    }

    get search(): SearchFolderDefinition | undefined {
        return this.options.search;
    }

    /** Display names from the top-level folder down, joined by '/'; '' for the root. */
    get path(): string {
        if (!this.parent) return '';
        const parentPath = this.parent.path;
        return parentPath ? `${parentPath}/${this.displayName}` : this.displayName;
    }

    get totalItemCount(): number {
        return this.search ? this.search.matches().length : this.messages.size;
    }

    get unreadItemCount(): number {
        const items = this.search ? this.search.matches() : [...this.messages.values()];
        return items.filter((m) => !m.isRead).length;
    }

    get childFolderCount(): number {
        return this.children.length;
    }

    record(seq: number, message: SimMessage, removed: boolean): void {
        this.changes.push({ seq, message, removed });
    }

    /** Change-log entries after `seq`; the log is ordered by seq, so a binary search finds the start. */
    changesSince(seq: number): ChangeEntry[] {
        let lo = 0;
        let hi = this.changes.length;
        while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if ((this.changes[mid]?.seq ?? Infinity) <= seq) lo = mid + 1;
            else hi = mid;
        }
        return this.changes.slice(lo);
    }

    /** Moves the folder, with everything below it, under `destination`; its id stays the same. */
    moveTo(destination: SimFolder): void {
        if (!this.parent || this.wellKnownName) throw new Error(`cannot move the well-known folder '${this.path}'`);
        if (destination.subtree().includes(this)) throw new Error(`cannot move '${this.path}' below itself`);
        if (destination.search) throw new Error(`'${destination.path}' cannot hold folders`);
        if (destination.children.some((c) => c.displayName.toLowerCase() === this.displayName.toLowerCase())) {
            throw new Error(`a folder named '${this.displayName}' already exists in '${destination.path}'`);
        }
        this.parent.children.splice(this.parent.children.indexOf(this), 1);
        destination.children.push(this);
        this.parent = destination;
    }

    /** This folder and everything below it. */
    subtree(): SimFolder[] {
        return [this, ...this.children.flatMap((c) => c.subtree())];
    }
}
