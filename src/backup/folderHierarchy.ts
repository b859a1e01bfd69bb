import {
    type FolderChange,
    listMailFolders,
    type ListedFolder,
    listUnreportedFolders,
    type MailFolderInfo,
    readFolderDelta,
} from '../graph/folders';
import { classifyGraphError } from '../graph/graphErrors';
import type { FolderEntity } from '../store/entities';
import { HIERARCHY_ROW_KEY, type HierarchyEntity } from '../store/folderState';
import { toTableKey } from '../store/tableKeys';
import type { MailboxSync } from './mailboxContext';

/**
 * How often folders that the hierarchy delta does not report are looked for again by listing the whole tree.
 * Graph does not say whether the delta reports hidden folders (docs/graph-behaviour.md, "Folder hierarchy delta");
 * where it does not, a hidden folder created since the last listing waits at most this long.
 */
const LISTING_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Deeper than any real tree; only a parent cycle in bad data gets there. */
const MAX_DEPTH = 256;

export interface FolderPlan {
    /** The mailbox's folders now, search folders left out, each with its path. */
    folders: MailFolderInfo[];
    /** Folders the index holds that are gone from the mailbox; retire them once every live folder is synced. */
    removed: FolderEntity[];
    /** Keeps the hierarchy delta link; call after the removed folders are retired. */
    commit(): Promise<void>;
}

interface FolderNode {
    displayName: string;
    parentFolderId: string;
    totalItemCount: number;
}

/**
 * Which folders this run syncs, from the folder hierarchy delta: one request when nothing changed. What the delta
 * reports is applied to the `folders` rows before any message is read: a new folder gets its row, a renamed or moved
 * one (or one below it) its new path, in its row and in the index. When the delta starts from scratch (first backup,
 * full run, expired link), the folders it leaves out (hidden ones, if Graph leaves them out) are looked for by listing
 * the top of the mailbox and wherever a folder has more children than were reported; while some are found, the whole
 * tree is listed again every day. In between, those folders are known by their rows.
 *
 * `states` holds the mailbox's rows by folder id; it is updated in place.
 */
export async function planFolders(sync: MailboxSync, states: Map<string, FolderEntity>): Promise<FolderPlan> {
    const saved = await sync.storage.folders.getHierarchy(sync.mailbox.id);
    const round = await readHierarchyDelta(sync, saved);
    const { tree, listed, unreported } = await currentTree(sync, saved, round, states);
    const folders = withPaths(tree);
    await recordFolders(sync, folders, states);
    const live = new Set(tree.keys());
    const removed = [...states.values()].filter((s) => !s.removedAt && !live.has(s.folderId));
    const hierarchy: HierarchyEntity = {
        partitionKey: sync.mailbox.id,
        rowKey: HIERARCHY_ROW_KEY,
        deltaLink: round.deltaLink,
        lastListedAt: listed ? sync.now().toISOString() : (saved?.lastListedAt ?? ''),
        foldersOutsideDelta: unreported ?? saved?.foldersOutsideDelta ?? 0,
    };
    const commit = () => sync.storage.folders.saveHierarchy(hierarchy);
    if (removed.length > 0) return { folders, removed, commit };
    // Nothing waits to be retired: keep the link now, so that a later slice of this run need not read the round again.
    await commit();
    return { folders, removed, commit: () => Promise.resolve() };
}

/** A round of the folder delta from the stored link, or from scratch when there is none or it expired. */
async function readHierarchyDelta(sync: MailboxSync, saved: HierarchyEntity | undefined): Promise<HierarchyRound> {
    if (sync.options.type !== 'full' && saved?.deltaLink) {
        try {
            return { ...(await readFolderDelta(sync.graph, saved.deltaLink)), fresh: false };
        } catch (error) {
            if (classifyGraphError(error) !== 'deltaExpired') throw error;
            sync.log.info(
                `${sync.mailbox.userPrincipalName}: the folder delta link expired; listing the folders again`,
            );
        }
    }
    return { ...(await readFolderDelta(sync.graph)), fresh: true };
}

interface HierarchyRound {
    changes: FolderChange[];
    deltaLink: string;
    /** Read from scratch: it reports every folder it reports at all, not changes. */
    fresh: boolean;
}

/**
 * The tree now. A round from scratch gives it whole, with the folders it left out found by listing only where the
 * counts say some are missing; a later round gives changes over the rows, and the whole tree is listed once a day
 * while the last count found folders outside the delta. `unreported` is that count when this run made it.
 */
async function currentTree(
    sync: MailboxSync,
    saved: HierarchyEntity | undefined,
    round: HierarchyRound,
    states: Map<string, FolderEntity>,
): Promise<{ tree: Map<string, FolderNode>; listed: boolean; unreported?: number }> {
    if (round.fresh) {
        const outside = await listUnreportedFolders(sync.graph, round.changes);
        const tree = applyChanges(new Map(), round.changes);
        for (const folder of outside) tree.set(folder.id, nodeOf(folder));
        return { tree, listed: true, unreported: outside.length };
    }
    if (needsListing(sync, saved)) {
        const listing = await listMailFolders(sync.graph);
        return { tree: new Map(listing.map((folder) => [folder.id, nodeOf(folder)])), listed: true };
    }
    return { tree: applyChanges(liveFolders(states), round.changes), listed: false };
}

function nodeOf(folder: ListedFolder): FolderNode {
    return {
        displayName: folder.displayName,
        parentFolderId: folder.parentFolderId,
        totalItemCount: folder.totalItemCount,
    };
}

function needsListing(sync: MailboxSync, saved: HierarchyEntity | undefined): boolean {
    if (!saved) return true;
    const since = sync.now().getTime() - (Date.parse(saved.lastListedAt) || 0);
    return saved.foldersOutsideDelta > 0 && since >= LISTING_INTERVAL_MS;
}

function liveFolders(states: Map<string, FolderEntity>): Map<string, FolderNode> {
    const tree = new Map<string, FolderNode>();
    for (const s of states.values()) {
        if (!s.removedAt)
            tree.set(s.folderId, { displayName: s.displayName, parentFolderId: s.parentFolderId, totalItemCount: 0 });
    }
    return tree;
}

/**
 * The delta's changes over the known folders, in order (a folder removed and then reported again is live). A changed
 * folder may carry only what changed; one this backup never knew comes whole, so a change to an unknown folder that
 * lacks its name or parent is a search folder's, whose type the entry need not repeat.
 */
function applyChanges(tree: Map<string, FolderNode>, changes: FolderChange[]): Map<string, FolderNode> {
    for (const change of changes) {
        if (change.removed || change.search) {
            tree.delete(change.id);
            continue;
        }
        const known = tree.get(change.id);
        const displayName = change.displayName ?? known?.displayName;
        const parentFolderId = change.parentFolderId ?? known?.parentFolderId;
        if (displayName === undefined || parentFolderId === undefined) continue;
        const totalItemCount = change.totalItemCount ?? known?.totalItemCount ?? 0;
        tree.set(change.id, { displayName, parentFolderId, totalItemCount });
    }
    return tree;
}

/** Each folder's path of display names from the top; a folder whose parent is not a known folder is at the top. */
function withPaths(tree: Map<string, FolderNode>): MailFolderInfo[] {
    const paths = new Map<string, string>();
    const pathOf = (id: string, node: FolderNode, depth: number): string => {
        const known = paths.get(id);
        if (known !== undefined) return known;
        const parent = tree.get(node.parentFolderId);
        const path =
            parent && depth < MAX_DEPTH
                ? `${pathOf(node.parentFolderId, parent, depth + 1)}/${node.displayName}`
                : node.displayName;
        paths.set(id, path);
        return path;
    };
    return [...tree].map(([id, node]) => ({
        id,
        displayName: node.displayName,
        parentFolderId: node.parentFolderId,
        totalItemCount: node.totalItemCount,
        path: pathOf(id, node, 0),
    }));
}

/**
 * Gives each new folder its row and each moved or renamed one its new place. Graph reports nothing about the messages
 * of a folder that moved (or whose parent did), so the paths the index shows for them are rewritten here; the row is
 * written after its messages, so an interruption in between is redone by the next run.
 */
async function recordFolders(
    sync: MailboxSync,
    folders: MailFolderInfo[],
    states: Map<string, FolderEntity>,
): Promise<void> {
    const rows: FolderEntity[] = [];
    for (const folder of folders) {
        const state = states.get(folder.id);
        const same =
            state &&
            !state.removedAt &&
            state.path === folder.path &&
            state.displayName === folder.displayName &&
            state.parentFolderId === folder.parentFolderId;
        if (same) continue;
        if (state && state.path !== folder.path && sync.options.folders) await relabelMessages(sync, folder);
        const place = { displayName: folder.displayName, parentFolderId: folder.parentFolderId, path: folder.path };
        const row: FolderEntity = state ? { ...state, ...place, removedAt: '' } : newFolderRow(sync, folder);
        rows.push(row);
        states.set(folder.id, row);
    }
    if (rows.length > 0) await sync.storage.folders.upsertMany(sync.mailbox.id, rows);
}

async function relabelMessages(sync: MailboxSync, folder: MailFolderInfo): Promise<void> {
    for await (const entity of sync.storage.index.listFolder(sync.mailbox.id, folder.id)) {
        sync.writer.upsertMessage({ ...entity, folderPath: folder.path });
        await sync.writer.flushIfFull();
    }
    await sync.writer.flush();
}

/** A folder's row before its first sync: where it is, and no sync state yet. */
export function newFolderRow(sync: MailboxSync, folder: MailFolderInfo): FolderEntity {
    return {
        partitionKey: sync.mailbox.id,
        rowKey: toTableKey(folder.id),
        folderId: folder.id,
        displayName: folder.displayName,
        parentFolderId: folder.parentFolderId,
        path: folder.path,
        deltaLink: '',
        pendingLink: '',
        lastSyncedAt: '',
        lastRunId: '',
        pendingRunId: '',
        roundStartedAt: '',
        retryIds: '[]',
        removedAt: '',
    };
}
