import { keySegment, requireFolder, requireMailbox, type GraphContext } from './context';
import { FOLDER_PROPERTIES, folderJson } from './directoryJson';
import { notSimulated } from './graphError';
import { parseSelect, parseTop } from './odata';
import type { JsonReply } from './reply';

const FOLDER_TYPE = 'microsoft.graph.mailFolder';
const DEFAULT_FOLDER_PAGE = 10;

/**
 * GET /mailFolders (children of msgfolderroot) and GET /mailFolders/{id}/childFolders (graph-facts §4): 10 per page
 * unless $top, hidden folders only with includeHiddenFolders=true, search folders listed with their @odata.type.
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
