import { keySegment, requireMailbox, requireUser, type GraphContext } from './context';
import { USER_PROPERTIES, userJson } from './directoryJson';
import { GraphError, notSimulated } from './graphError';
import { parseSelect, parseTop } from './odata';
import type { JsonReply } from '../http/reply';

const USER_TYPE = 'microsoft.graph.user';
const DEFAULT_USER_PAGE = 100;

/** GET /users: 100 per page unless $top (1–999), then @odata.nextLink with an opaque $skiptoken until the end. */
export function listUsers(ctx: GraphContext): JsonReply {
    for (const option of ['$filter', '$search', '$orderby', '$count', '$expand']) {
        if (ctx.query.has(option)) throw notSimulated(`${option} on /users`);
    }
    if (ctx.query.has('$skip')) {
        throw new GraphError(400, 'Request_BadRequest', "'$skip' is not supported by the service.");
    }
    const selectText = ctx.query.get('$select');
    const select = parseSelect(selectText, USER_PROPERTIES, USER_TYPE, 'Request_BadRequest');
    const top = parseTop(ctx.query.get('$top'), 999, 'Request_UnsupportedQuery') ?? DEFAULT_USER_PAGE;
    const offset = readSkipToken(ctx.query.get('$skiptoken'));
    const users = ctx.tenant.users();
    const page = users.slice(offset, offset + top);
    const json: Record<string, unknown> = {
        '@odata.context': `${ctx.base}/v1.0/$metadata#users${select ? `(${select.join(',')})` : ''}`,
    };
    if (offset + top < users.length) {
        const params = new URLSearchParams();
        if (selectText) params.set('$select', selectText);
        if (ctx.query.has('$top')) params.set('$top', String(top));
        const query = [...params].map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
        query.push(`$skiptoken=${encodeURIComponent(skipToken(offset + top))}`);
        json['@odata.nextLink'] = `${ctx.base}/v1.0/users?${query.join('&')}`;
    }
    json.value = page.map((u) => userJson(u, select));
    return { status: 200, json };
}

export function getUser(ctx: GraphContext): JsonReply {
    const user = requireUser(ctx);
    const select = parseSelect(ctx.query.get('$select'), USER_PROPERTIES, USER_TYPE, 'Request_BadRequest');
    const json = { '@odata.context': `${ctx.base}/v1.0/$metadata#users/$entity`, ...userJson(user, select) };
    return { status: 200, json };
}

/** userPurpose is the authoritative shared-mailbox test (docs/graph-behaviour.md, "Users and shared mailboxes"). */
export function getMailboxSettings(ctx: GraphContext): JsonReply {
    const { user, mailbox } = requireMailbox(ctx);
    const context = `${ctx.base}/v1.0/$metadata#${keySegment('users', user.id)}/mailboxSettings`;
    const settings: Record<string, unknown> = {
        archiveFolder: mailbox.folder('archive').id,
        timeZone: 'UTC',
        automaticRepliesSetting: { status: 'disabled', externalAudience: 'all' },
        language: { locale: 'en-US', displayName: 'English (United States)' },
        dateFormat: 'M/d/yyyy',
        timeFormat: 'h:mm tt',
        userPurpose: user.kind === 'shared' ? 'shared' : 'user',
        delegateMeetingMessageDeliveryOptions: 'sendToDelegateOnly',
    };
    const setting = ctx.params.setting;
    if (setting === undefined) return { status: 200, json: { '@odata.context': context, ...settings } };
    const name = Object.keys(settings).find((k) => k.toLowerCase() === setting.toLowerCase());
    if (!name) throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${setting}'.`);
    return { status: 200, json: { '@odata.context': `${context}/${name}`, value: settings[name] } };
}

function skipToken(offset: number): string {
    const payload = Buffer.alloc(12);
    payload.write('RFNwdA', 0, 'latin1');
    payload.writeUInt32BE(offset, 8);
    return `X'${payload.toString('hex').toUpperCase()}'`;
}

function readSkipToken(token: string | null): number {
    if (token === null) return 0;
    const match = /^X'([0-9A-F]{24})'$/.exec(token);
    if (!match?.[1]) throw new GraphError(400, 'Request_BadRequest', 'Invalid skip token.');
    return Buffer.from(match[1], 'hex').readUInt32BE(8);
}
