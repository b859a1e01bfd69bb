import { SyncStateNotFound } from './delta';
import type { SimFolder } from './folder';
import { base64Url } from './ids';
import type { Rng } from './rng';

/**
 * Whether the folder delta reports hidden folders (and what lies below them). Graph does not say
 * (docs/graph-behaviour.md, "Folder hierarchy delta", marks it unconfirmed), so the simulator plays either: 'omitted'
 * like the folder listing without includeHiddenFolders, 'returned' like the listing with it. The delta takes no
 * includeHiddenFolders parameter.
 */
export type HiddenFolderPlay = 'omitted' | 'returned';

/** The folder properties a hierarchy delta compares between rounds. */
export type TrackedProperty = 'displayName' | 'parentFolderId' | 'isHidden';

interface FolderShape {
    displayName: string;
    parentFolderId: string;
    isHidden: boolean;
}

export interface FolderDeltaEntry {
    folder: SimFolder;
    removed: boolean;
    /** For a folder the previous round knew: the properties that changed. Undefined for a folder new to the client. */
    changed?: TrackedProperty[];
}

export interface FolderDeltaPage {
    select?: string[];
    entries: FolderDeltaEntry[];
    link: { kind: 'next' | 'delta'; token: string };
}

/** A round's entries, worked out at its first page, so later pages are stable. */
interface Round {
    select?: string[];
    entries: FolderDeltaEntry[];
    /** What the client knows once it has read the round: the next round reports changes against it. */
    snapshot: Map<SimFolder, FolderShape>;
}

type TokenBody =
    | { kind: 'next'; round: Round; position: number }
    | { kind: 'delta'; select?: string[]; snapshot: Map<SimFolder, FolderShape> };

type TokenState = TokenBody & { generation: number };

/**
 * The hierarchy delta of one mailbox (`GET /users/{id}/mailFolders/delta`; docs/graph-behaviour.md,
 * "Folder hierarchy delta"): one flat list of every folder below msgfolderroot at any depth on the first round, then,
 * from its deltaLink, the folders added, changed (renamed, moved, hidden or shown; with only the changed properties,
 * the least Graph promises) or removed (`@removed`) since. A token is the snapshot of the hierarchy its round was taken
 * at, so a change made while a round is being paged through shows up in the next round. expire() makes every token so
 * far answer 410.
 */
export class FolderDeltaSync {
    hiddenFolders: HiddenFolderPlay = 'omitted';
    private tokens = new Map<string, TokenState>();
    private generation = 0;

    constructor(private readonly rng: Rng) {}

    expire(): void {
        this.tokens = new Map();
    }

    start(root: SimFolder, rootParentId: string, select: string[] | undefined, pageSize: number): FolderDeltaPage {
        const snapshot = this.snapshot(root, rootParentId);
        const entries = [...snapshot.keys()].map((folder) => ({ folder, removed: false }));
        return this.page({ select, entries, snapshot }, 0, pageSize);
    }

    resume(
        kind: 'next' | 'delta',
        token: string,
        root: SimFolder,
        rootParentId: string,
        pageSize: number,
    ): FolderDeltaPage {
        const state = this.tokens.get(token);
        if (!state || state.kind !== kind) throw new SyncStateNotFound(state?.generation ?? 0, this.generation);
        if (state.kind === 'next') return this.page(state.round, state.position, pageSize);
        const snapshot = this.snapshot(root, rootParentId);
        const entries: FolderDeltaEntry[] = [];
        for (const [folder, now] of snapshot) {
            const before = state.snapshot.get(folder);
            if (!before) {
                entries.push({ folder, removed: false });
                continue;
            }
            const changed = (['displayName', 'parentFolderId', 'isHidden'] as const).filter(
                (p) => before[p] !== now[p],
            );
            if (changed.length > 0) entries.push({ folder, removed: false, changed });
        }
        for (const folder of state.snapshot.keys()) {
            if (!snapshot.has(folder)) entries.push({ folder, removed: true });
        }
        return this.page({ select: state.select, entries, snapshot }, 0, pageSize);
    }

    /** Every folder the delta shows, parents before children, with what the client will remember of each. */
    private snapshot(root: SimFolder, rootParentId: string): Map<SimFolder, FolderShape> {
        const shapes = new Map<SimFolder, FolderShape>();
        const visit = (folder: SimFolder): void => {
            for (const child of folder.children) {
                if (child.isHidden && this.hiddenFolders === 'omitted') continue;
                shapes.set(child, {
                    displayName: child.displayName,
                    parentFolderId: child.parent?.id ?? rootParentId,
                    isHidden: child.isHidden,
                });
                visit(child);
            }
        };
        visit(root);
        return shapes;
    }

    private page(round: Round, position: number, pageSize: number): FolderDeltaPage {
        const end = position + pageSize;
        const entries = round.entries.slice(position, end);
        const link: FolderDeltaPage['link'] =
            end < round.entries.length
                ? { kind: 'next', token: this.issue({ kind: 'next', round, position: end }) }
                : {
                      kind: 'delta',
                      token: this.issue({ kind: 'delta', select: round.select, snapshot: round.snapshot }),
                  };
        return { select: round.select, entries, link };
    }

    private issue(state: TokenBody): string {
        const token = base64Url(this.rng.bytes(31));
        this.tokens.set(token, { ...state, generation: ++this.generation });
        return token;
    }
}
