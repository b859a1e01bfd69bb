import { keySegment, preferenceApplied, requireFolder, requireMailbox, type GraphContext } from './context';
import { SyncStateNotFound } from '../model/delta';
import { FOLDER_PROPERTIES, folderJson } from './directoryJson';
import type { FolderDeltaEntry, FolderDeltaPage } from '../model/folderDelta';
import { GraphError, notSimulated } from './graphError';
import type { Json } from './messageJson';
import { parseSelect, parseTop } from './odata';
import type { JsonReply } from '../http/reply';

const FOLDER_TYPE = 'microsoft.graph.mailFolder';
const DEFAULT_FOLDER_PAGE = 10;
const MAX_FOLDER_DELTA_PAGE = 1000;

/**
 * GET /mailFolders (children of msgfolderroot) and GET /mailFolders/{id}/childFolders (docs/graph-behaviour.md,
 * "Folder hierarchy delta"): 10 per page unless $top, hidden folders only with includeHiddenFolders=true, search
 * folders listed with their @odata.type.
 */
export function listFolders(ctx: GraphContext): JsonReply {
    for (const option of ['$filter', '$orderby', '$search', '$expand']) {
        if (ctx.query.has(option)) throw notSimulated(`${option} on mail folders`);
    }
    const { user, mailbox } = requireMailbox(ctx);
    const parent = ctx.params.folder === undefined ? mailbox.root : requireFolder(mailbox, ctx.params.folder);
    const includeHidden = ctx.query.get('includeHiddenFolders')?.toLowerCase() === 'true';
    const selectText = ctx.query.get('$select');
    const select = parseSelect(selectText, FOLDER_PROPERTIES, FOLDER_TYPE);
    const top = parseTop(ctx.query.get('$top'), 1000) ?? DEFAULT_FOLDER_PAGE;
    const skip = Number(ctx.query.get('$skip') ?? '0') || 0;
    const folders = parent.children.filter((f) => includeHidden || !f.isHidden);
    const userPath = `${ctx.base}/v1.0/${keySegment('users', user.id)}`;
    const path =
        ctx.params.folder === undefined
            ? `${userPath}/mailFolders`
            : `${userPath}/${keySegment('mailFolders', parent.id)}/childFolders`;
    const json: Record<string, unknown> = {
        '@odata.context': `${ctx.base}/v1.0/$metadata#${keySegment('users', user.id)}/mailFolders`,
        value: folders.slice(skip, skip + top).map((f) => folderJson(f, mailbox.rootParentId, select)),
    };
    if (skip + top < folders.length) {
        const query = [
            ...(includeHidden ? ['includeHiddenFolders=true'] : []),
            ...(selectText ? [`%24select=${encodeURIComponent(selectText)}`] : []),
            `%24top=${top}`,
            `%24skip=${skip + top}`,
        ];
        json['@odata.nextLink'] = `${path}?${query.join('&')}`;
    }
    return { status: 200, json };
}

export function getFolder(ctx: GraphContext): JsonReply {
    const { user, mailbox } = requireMailbox(ctx);
    const folder = requireFolder(mailbox, ctx.params.folder);
    const select = parseSelect(ctx.query.get('$select'), FOLDER_PROPERTIES, FOLDER_TYPE);
    const context = `${ctx.base}/v1.0/$metadata#${keySegment('users', user.id)}/mailFolders/$entity`;
    return { status: 200, json: { '@odata.context': context, ...folderJson(folder, mailbox.rootParentId, select) } };
}

/**
 * GET /users/{u}/mailFolders/delta (docs/graph-behaviour.md, "Folder hierarchy delta"): the whole hierarchy flat, then
 * only what changed, paged by `Prefer: odata.maxpagesize` (10 by default). $select counts only on the first request and
 * travels in the tokens; a stale token answers 410 SyncStateNotFound like message delta. Search folders are listed with
 * their @odata.type.
 */
export function folderDelta(ctx: GraphContext): JsonReply {
    for (const option of ['$filter', '$orderby', '$search', '$expand', '$top']) {
        if (ctx.query.has(option)) throw notSimulated(`${option} on mail folder delta`);
    }
    const { user, mailbox } = requireMailbox(ctx);
    const pageSize = Math.min(Math.max(ctx.prefer.maxPageSize ?? DEFAULT_FOLDER_PAGE, 1), MAX_FOLDER_DELTA_PAGE);
    const skipToken = ctx.query.get('$skiptoken');
    const deltaToken = ctx.query.get('$deltatoken');
    const { root, rootParentId, folderDelta: sync } = mailbox;
    let page: FolderDeltaPage;
    try {
        if (skipToken !== null) page = sync.resume('next', skipToken, root, rootParentId, pageSize);
        else if (deltaToken !== null) page = sync.resume('delta', deltaToken, root, rootParentId, pageSize);
        else
            page = sync.start(
                root,
                rootParentId,
                parseSelect(ctx.query.get('$select'), FOLDER_PROPERTIES, FOLDER_TYPE),
                pageSize,
            );
    } catch (err) {
        if (err instanceof SyncStateNotFound) throw new GraphError(410, 'SyncStateNotFound', err.message);
        throw err;
    }
    const link = `${ctx.base}/v1.0/${keySegment('users', user.id)}/mailFolders/delta`;
    const json: Record<string, unknown> = {
        '@odata.context': `${ctx.base}/v1.0/$metadata#Collection(mailFolder)`,
    };
    const token = encodeURIComponent(page.link.token);
    if (page.link.kind === 'next') json['@odata.nextLink'] = `${link}?$skiptoken=${token}`;
    // A folder deleted after its round was taken is left out; the next round reports it removed.
    json.value = page.entries
        .filter((entry) => entry.removed || !entry.folder.deleted)
        .map((entry) => folderDeltaJson(entry, rootParentId, page.select));
    if (page.link.kind === 'delta') json['@odata.deltaLink'] = `${link}?$deltatoken=${token}`;
    return { status: 200, json, headers: preferenceApplied(ctx, pageSize) };
}

/** A changed folder carries its id and the properties that changed: "at least the updated properties" (D). */
function folderDeltaJson(entry: FolderDeltaEntry, rootParentId: string, select: string[] | undefined): Json {
    if (entry.removed) return { id: entry.folder.id, '@removed': { reason: 'deleted' } };
    const json = folderJson(entry.folder, rootParentId, select);
    const changed = entry.changed;
    if (!changed) return json;
    return Object.fromEntries(
        Object.entries(json).filter(
            ([name]) => name === 'id' || name === '@odata.type' || (changed as string[]).includes(name),
        ),
    );
}
