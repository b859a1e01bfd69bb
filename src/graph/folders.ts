import type { MailFolder } from '@microsoft/microsoft-graph-types';

import type { MailboxGraph } from './mailboxGraph';

export interface MailFolderInfo {
    id: string;
    displayName: string;
    parentFolderId: string;
    /** Display names from the top of the mailbox, joined by '/': "Inbox/Projects/2026". */
    path: string;
    totalItemCount: number;
}

type FolderPayload = MailFolder & { '@odata.type'?: string; '@removed'?: { reason?: string } };

const SEARCH_FOLDER_TYPE = '#microsoft.graph.mailSearchFolder';
const QUERY = 'includeHiddenFolders=true&$top=100';

/**
 * One entry of the folder hierarchy delta: a folder removed, or one added or changed. A changed folder may carry
 * only the properties that changed (docs/graph-behaviour.md, "Folder hierarchy delta").
 */
export type FolderChange =
    | { id: string; removed: true }
    | {
          id: string;
          removed: false;
          /** A search folder: a view over other folders, never synced. */
          search: boolean;
          displayName?: string;
          parentFolderId?: string;
          totalItemCount?: number;
          /** Children it has, hidden ones included; reported with the folder, not when only a child changes. */
          childFolderCount?: number;
      };

export interface FolderDeltaRound {
    changes: FolderChange[];
    /** Where the next round starts. */
    deltaLink: string;
}

/** Folders are few; one page holds the hierarchy of all but the largest mailboxes. */
const FOLDER_DELTA_PAGE_SIZE = 250;
const FOLDER_DELTA_SELECT = 'displayName,parentFolderId,totalItemCount,childFolderCount';

/**
 * One round of the mailbox's folder hierarchy delta (`mailFolders/delta`): from `deltaLink`, what changed since the
 * round that issued it; without one, every folder below the root at any depth, flat. All pages are read: a round is
 * a handful of requests at most, and its deltaLink is only worth keeping once every change in it has been applied.
 */
export async function readFolderDelta(graph: MailboxGraph, deltaLink?: string): Promise<FolderDeltaRound> {
    const first = deltaLink ?? `${graph.userPath}/mailFolders/delta?$select=${FOLDER_DELTA_SELECT}`;
    const changes: FolderChange[] = [];
    const headers = { Prefer: `odata.maxpagesize=${FOLDER_DELTA_PAGE_SIZE}` };
    for await (const page of graph.pages<FolderPayload>(first, headers)) {
        for (const item of page.value) {
            if (!item.id) continue;
            if (item['@removed']) {
                changes.push({ id: item.id, removed: true });
                continue;
            }
            changes.push({
                id: item.id,
                removed: false,
                search: item['@odata.type'] === SEARCH_FOLDER_TYPE,
                displayName: item.displayName ?? undefined,
                parentFolderId: item.parentFolderId ?? undefined,
                totalItemCount: item.totalItemCount ?? undefined,
                childFolderCount: item.childFolderCount ?? undefined,
            });
        }
        const next = page['@odata.deltaLink'];
        if (next) return { changes, deltaLink: next };
    }
    throw new Error('The folder delta ended without a deltaLink');
}

/** A folder as the listing (`mailFolders`, `childFolders`) returns it. */
export interface ListedFolder {
    id: string;
    displayName: string;
    parentFolderId: string;
    totalItemCount: number;
    childFolderCount: number;
}

/**
 * Every mail folder of the mailbox at any depth, hidden ones included. `mailFolders` returns only
 * the children of the root, so child folders are listed level by level; search folders are views
 * over other folders and are skipped (docs/graph-behaviour.md, "Folder hierarchy delta").
 */
export async function listMailFolders(graph: MailboxGraph): Promise<ListedFolder[]> {
    return listBelow(graph, [undefined], () => true);
}

/**
 * The folders a from-scratch round of the delta left out, found with as few listings as the counts allow: the top of
 * the mailbox is always listed (its child count is not in the delta), and below it only a folder that has more
 * children (`childFolderCount`) than the round reported, and then whatever unreported folder has children. Where the
 * delta reports hidden folders that is one request (docs/graph-behaviour.md, "Folder hierarchy delta").
 */
export async function listUnreportedFolders(graph: MailboxGraph, round: FolderChange[]): Promise<ListedFolder[]> {
    const reported = new Map<string, number>();
    const childrenReported = new Map<string, number>();
    for (const change of round) {
        if (change.removed) continue;
        reported.set(change.id, change.childFolderCount ?? 0);
        const parent = change.parentFolderId;
        if (parent !== undefined) childrenReported.set(parent, (childrenReported.get(parent) ?? 0) + 1);
    }
    const missingChildren = (id: string, childFolderCount: number) =>
        childFolderCount > (childrenReported.get(id) ?? 0);
    const parents = [undefined, ...[...reported].filter(([id, count]) => missingChildren(id, count)).map(([id]) => id)];
    const found = await listBelow(graph, parents, (folder) => !reported.has(folder.id));
    return found.filter((folder) => !reported.has(folder.id));
}

/**
 * Lists the children of `parents` (undefined: the top of the mailbox), then, level by level, the children of every
 * listed folder that has some and that `descend` accepts.
 */
async function listBelow(
    graph: MailboxGraph,
    parents: (string | undefined)[],
    descend: (folder: ListedFolder) => boolean,
): Promise<ListedFolder[]> {
    const all: ListedFolder[] = [];
    let level = (await Promise.all(parents.map((id) => listChildren(graph, id)))).flat();
    while (level.length > 0) {
        all.push(...level);
        const next = level.filter((folder) => folder.childFolderCount > 0 && descend(folder));
        level = (await Promise.all(next.map((folder) => listChildren(graph, folder.id)))).flat();
    }
    return all;
}

async function listChildren(graph: MailboxGraph, parentId: string | undefined): Promise<ListedFolder[]> {
    const url =
        parentId === undefined
            ? `${graph.userPath}/mailFolders?${QUERY}`
            : `${graph.userPath}/mailFolders/${encodeURIComponent(parentId)}/childFolders?${QUERY}`;
    const folders: ListedFolder[] = [];
    for await (const page of graph.pages<FolderPayload>(url)) {
        for (const item of page.value) {
            if (item['@odata.type'] === SEARCH_FOLDER_TYPE || !item.id) continue;
            folders.push({
                id: item.id,
                displayName: item.displayName ?? '',
                parentFolderId: item.parentFolderId ?? '',
                totalItemCount: item.totalItemCount ?? 0,
                childFolderCount: item.childFolderCount ?? 0,
            });
        }
    }
    return folders;
}
