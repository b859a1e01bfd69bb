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

type FolderPayload = MailFolder & { '@odata.type'?: string };

const QUERY = 'includeHiddenFolders=true&$top=100';

/**
 * Every mail folder of the mailbox at any depth, hidden ones included. `mailFolders` returns only
 * the children of the root, so child folders are listed level by level; search folders are views
 * over other folders and are skipped (graph-facts §4).
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
            if (item['@odata.type'] === '#microsoft.graph.mailSearchFolder' || !item.id) continue;
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
