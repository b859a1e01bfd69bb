import { keySegment, preferenceApplied, requireFolder, requireMailbox, type GraphContext } from './context';
import { SyncStateNotFound, type DeltaPage } from '../model/delta';
import { GraphError, notSimulated } from './graphError';
import { messageJson, removedJson } from './messageJson';
import { parseMessageQuery } from './messageQuery';
import { parseTop } from './odata';
import type { JsonReply } from '../http/reply';

const DEFAULT_PAGE = 10;
/** $top caps a whole round (docs/graph-behaviour.md, "Message delta"). */
const MAX_TOP = 1000;

/**
 * GET /users/{u}/mailFolders/{f}/messages/delta (docs/graph-behaviour.md, "Message delta"). Page size comes from
 * `Prefer: odata.maxpagesize` on each request; $select/$expand/$top count only on the first request and travel inside
 * the tokens.
 */
export function messageDelta(ctx: GraphContext): JsonReply {
    const { user, mailbox } = requireMailbox(ctx);
    const folder = requireFolder(mailbox, ctx.params.folder);
    if (folder.search) {
        throw new GraphError(400, 'ErrorInvalidRequest', 'Sync is not supported on a search folder.');
    }
    const pageSize = Math.min(Math.max(ctx.prefer.maxPageSize ?? DEFAULT_PAGE, 1), mailbox.delta.maxPageSize);
    const skipToken = ctx.query.get('$skiptoken');
    const deltaToken = ctx.query.get('$deltatoken');
    let page: DeltaPage;
    try {
        if (skipToken !== null) page = mailbox.delta.resume('next', skipToken, folder, pageSize, mailbox.seq);
        else if (deltaToken !== null) page = mailbox.delta.resume('delta', deltaToken, folder, pageSize, mailbox.seq);
        else page = mailbox.delta.start(folder, initialQuery(ctx.query), pageSize, mailbox.seq);
    } catch (err) {
        if (err instanceof SyncStateNotFound) throw new GraphError(410, 'SyncStateNotFound', err.message);
        throw err;
    }
    const immutableIds = ctx.prefer.immutableIds;
    const value = page.entries.map((entry) =>
        entry.removed
            ? removedJson(entry.message, folder, immutableIds)
            : {
                  '@odata.type': '#microsoft.graph.message',
                  ...messageJson(entry.message, { ...page.query, immutableIds, folder }),
              },
    );
    const link = `${ctx.base}/v1.0/${keySegment('users', user.id)}/${keySegment('mailFolders', folder.id)}/messages/delta`;
    const json: Record<string, unknown> = { '@odata.context': `${ctx.base}/v1.0/$metadata#Collection(message)` };
    const token = encodeURIComponent(page.link.token);
    if (page.link.kind === 'next') json['@odata.nextLink'] = `${link}?$skiptoken=${token}`;
    json.value = value;
    if (page.link.kind === 'delta') json['@odata.deltaLink'] = `${link}?$deltatoken=${token}`;
    return { status: 200, json, headers: preferenceApplied(ctx, pageSize) };
}

function initialQuery(query: URLSearchParams): { select?: string[]; expandSize: boolean; top?: number } {
    for (const option of ['$filter', '$orderby', 'changeType', '$search']) {
        if (query.has(option)) throw notSimulated(`${option} on message delta`);
    }
    const { select, expandSize } = parseMessageQuery(query, false);
    return { select, expandSize, top: parseTop(query.get('$top'), MAX_TOP) };
}
