import type { GraphContext, RouteParams } from '../graph/context';
import type { RequestKind } from '../model/counters';
import { messageDelta } from '../graph/deltaApi';
import { getMailboxSettings, getUser, listUsers } from '../graph/directoryApi';
import { folderDelta, getFolder, listFolders } from '../graph/foldersApi';
import { GraphError, notSimulated } from '../graph/graphError';
import {
    findMessagesByProperty,
    getAttachment,
    getAttachmentValue,
    getMessage,
    getMessageValue,
    listAttachments,
} from '../graph/messagesApi';
import { pathSegments } from '../graph/odata';
import { WRITE_ROUTES } from '../graph/restoreApi';
import type { Reply } from './reply';

export type GraphHandler = (ctx: GraphContext, onValueServed: (immutableId: string) => void) => Reply;

export type Route =
    | { area: 'sts'; kind: 'token' | 'openidConfig'; tenant: string }
    | { area: 'graph'; kind: RequestKind; mailbox: boolean; params: RouteParams; handle: GraphHandler };

interface RouteDef {
    pattern: string[];
    kind: RequestKind;
    /** Outlook routes: counted per mailbox and subject to its throttling limits. */
    mailbox: boolean;
    handle: GraphHandler;
}

const MESSAGE_PARENTS = [
    ['users', ':user'],
    ['users', ':user', 'mailFolders', ':folder'],
];

const ROUTES: RouteDef[] = [
    { pattern: ['users'], kind: 'users', mailbox: false, handle: listUsers },
    { pattern: ['users', ':user'], kind: 'users', mailbox: false, handle: getUser },
    {
        pattern: ['users', ':user', 'mailboxSettings'],
        kind: 'mailboxSettings',
        mailbox: true,
        handle: getMailboxSettings,
    },
    {
        pattern: ['users', ':user', 'mailboxSettings', ':setting'],
        kind: 'mailboxSettings',
        mailbox: true,
        handle: getMailboxSettings,
    },
    { pattern: ['users', ':user', 'mailFolders'], kind: 'folders', mailbox: true, handle: listFolders },
    {
        pattern: ['users', ':user', 'mailFolders', 'delta'],
        kind: 'folders',
        mailbox: true,
        handle: folderDelta,
    },
    { pattern: ['users', ':user', 'mailFolders', ':folder'], kind: 'folders', mailbox: true, handle: getFolder },
    {
        pattern: ['users', ':user', 'mailFolders', ':folder', 'childFolders'],
        kind: 'folders',
        mailbox: true,
        handle: listFolders,
    },
    {
        pattern: ['users', ':user', 'mailFolders', ':folder', 'messages', 'delta'],
        kind: 'delta',
        mailbox: true,
        handle: messageDelta,
    },
    ...MESSAGE_PARENTS.flatMap((parent): RouteDef[] => {
        const message = [...parent, 'messages', ':message'];
        const attachment = [...message, 'attachments', ':attachment'];
        return [
            { pattern: [...parent, 'messages'], kind: 'other', mailbox: true, handle: findMessagesByProperty },
            { pattern: message, kind: 'message', mailbox: true, handle: getMessage },
            { pattern: [...message, '$value'], kind: 'value', mailbox: true, handle: getMessageValue },
            { pattern: [...message, 'attachments'], kind: 'attachments', mailbox: true, handle: listAttachments },
            { pattern: attachment, kind: 'attachments', mailbox: true, handle: getAttachment },
            { pattern: [...attachment, '$value'], kind: 'attachmentValue', mailbox: true, handle: getAttachmentValue },
        ];
    }),
];

/** Which endpoint a request is for; anything unknown is a Graph route that answers 400 like Graph does. */
export function matchRoute(method: string, pathname: string): Route {
    const segments = pathSegments(pathname) ?? [];
    const sts = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(pathname);
    if (sts?.[1] !== undefined) {
        const isToken = sts[2]?.startsWith('oauth2') ?? false;
        if (isToken === (method === 'POST')) {
            return { area: 'sts', kind: isToken ? 'token' : 'openidConfig', tenant: segments[0] ?? sts[1] };
        }
    }
    const [version, ...rest] = segments;
    const write = matchWriteRoute(method, segments);
    if (write) return write;
    if (version === 'v1.0' && method === 'GET') {
        for (const route of ROUTES) {
            const params = match(route.pattern, rest);
            if (params)
                return { area: 'graph', kind: route.kind, mailbox: route.mailbox, params, handle: route.handle };
        }
    }
    return { area: 'graph', kind: 'other', mailbox: false, params: {}, handle: rejection(method, version, rest) };
}

function rejection(method: string, version: string | undefined, rest: string[]): GraphHandler {
    return () => {
        if (version === 'v1.0' && rest[0]?.toLowerCase() === 'me') {
            throw new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
        }
        if (version === 'v1.0' && method !== 'GET') throw notSimulated(`${method} requests`);
        const segment = version === 'v1.0' ? (rest.at(-1) ?? '') : (version ?? '');
        throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
    };
}

/** The writes a restore makes (graph/restoreApi.ts); the pattern includes the version segment. */
function matchWriteRoute(method: string, segments: string[]): Route | undefined {
    for (const route of WRITE_ROUTES) {
        const params = route.method === method ? match(route.pattern, segments) : undefined;
        if (params) return { area: 'graph', kind: route.kind, mailbox: true, params, handle: route.handle };
    }
    return undefined;
}

function match(pattern: string[], segments: string[]): RouteParams | undefined {
    if (pattern.length !== segments.length) return undefined;
    const params: Record<string, string> = {};
    for (const [i, part] of pattern.entries()) {
        const segment = segments[i] ?? '';
        if (part.startsWith(':')) params[part.slice(1)] = segment;
        else if (part.toLowerCase() !== segment.toLowerCase()) return undefined;
    }
    return params;
}
