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
      };

export interface FolderDeltaRound {
    changes: FolderChange[];
    /** Where the next round starts. */
    deltaLink: string;
}

/** Folders are few; one page holds the hierarchy of all but the largest mailboxes. */
const FOLDER_DELTA_PAGE_SIZE = 250;
const FOLDER_DELTA_SELECT = 'displayName,parentFolderId,totalItemCount';

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
            });
        }
        const next = page['@odata.deltaLink'];
        if (next) return { changes, deltaLink: next };
    }
    throw new Error('The folder delta ended without a deltaLink');
}

/**
 * Every mail folder of the mailbox at any depth, hidden ones included. `mailFolders` returns only
 * the children of the root, so child folders are listed level by level; search folders are views
 * over other folders and are skipped (docs/graph-behaviour.md, "Folder hierarchy delta").
 */
export async function listMailFolders(graph: MailboxGraph): Promise<MailFolderInfo[]> {
    const all: MailFolderInfo[] = [];
    let level = await listLevel(graph, `${graph.userPath}/mailFolders?${QUERY}`, '');
    while (level.length > 0) {
        all.push(...level.map((entry) => entry.folder));
        const parents = level.filter((entry) => entry.childFolderCount > 0);
        const children = await Promise.all(
            parents.map((entry) =>
                listLevel(
                    graph,
                    `${graph.userPath}/mailFolders/${encodeURIComponent(entry.folder.id)}/childFolders?${QUERY}`,
                    entry.folder.path,
                ),
            ),
        );
        level = children.flat();
    }
    return all;
}

async function listLevel(
    graph: MailboxGraph,
    url: string,
    parentPath: string,
): Promise<{ folder: MailFolderInfo; childFolderCount: number }[]> {
    const entries: { folder: MailFolderInfo; childFolderCount: number }[] = [];
    for await (const page of graph.pages<FolderPayload>(url)) {
        for (const item of page.value) {
            if (item['@odata.type'] === SEARCH_FOLDER_TYPE || !item.id) continue;
            const displayName = item.displayName ?? '';
            entries.push({
                folder: {
                    id: item.id,
                    displayName,
                    parentFolderId: item.parentFolderId ?? '',
                    path: parentPath ? `${parentPath}/${displayName}` : displayName,
                    totalItemCount: item.totalItemCount ?? 0,
                },
                childFolderCount: item.childFolderCount ?? 0,
            });
        }
    }
    return entries;
}
