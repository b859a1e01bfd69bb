import type { SimFolder } from '../model/folder';
import { GraphError, malformedId, notFound } from './graphError';
import { looksLikeOutlookId } from '../model/ids';
import type { Mailbox } from '../model/mailbox';
import type { SimMessage } from '../model/message';
import type { Preferences } from './odata';
import type { Tenant } from '../model/tenant';
import type { SimUser } from '../model/user';

/** Path parameters a route captured, still as the client wrote them (URL-decoded). */
export interface RouteParams {
    user?: string;
    folder?: string;
    message?: string;
    attachment?: string;
    setting?: string;
    session?: string;
}

/** Everything a Graph handler needs about one request. */
export interface GraphContext {
    /** The simulator's origin, for building nextLinks and @odata.context. */
    base: string;
    query: URLSearchParams;
    prefer: Preferences;
    tenant: Tenant;
    params: RouteParams;
    /** The user the path names, if it exists. */
    user: SimUser | undefined;
    /** The request body of a write (POST, PUT), at most MAX_REQUEST_BYTES. */
    body?: Buffer;
    headers?: Record<string, string | string[] | undefined>;
}

export function requireUser(ctx: GraphContext): SimUser {
    if (!ctx.user) {
        throw new GraphError(
            404,
            'Request_ResourceNotFound',
            `Resource '${ctx.params.user ?? ''}' does not exist or one of its queried reference-property objects are not present.`,
        );
    }
    return ctx.user;
}

/** The mailbox behind the path, or the 404 Exchange answers for a missing user or a user without one. */
export function requireMailbox(ctx: GraphContext): { user: SimUser; mailbox: Mailbox } {
    const user = ctx.user;
    if (!user) {
        throw new GraphError(404, 'ErrorInvalidUser', `The requested user '${ctx.params.user ?? ''}' is invalid.`);
    }
    if (!user.hasMailbox) {
        throw new GraphError(
            404,
            'MailboxNotEnabledForRESTAPI',
            'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
        );
    }
    return { user, mailbox: user.mailbox };
}

export function requireFolder(mailbox: Mailbox, key: string | undefined): SimFolder {
    const folder = key === undefined ? undefined : mailbox.folderByIdOrWellKnown(key);
    if (folder) return folder;
    if (key === undefined || !looksLikeOutlookId(key)) throw malformedId();
    throw notFound();
}

export function requireMessage(ctx: GraphContext, mailbox: Mailbox): SimMessage {
    if (ctx.params.folder !== undefined) requireFolder(mailbox, ctx.params.folder);
    const id = ctx.params.message ?? '';
    const message = mailbox.findMessage(id);
    if (message) return message;
    if (!looksLikeOutlookId(id)) throw malformedId();
    throw notFound();
}

/** Header Graph sends back when it honoured `Prefer` options. */
export function preferenceApplied(ctx: GraphContext, pageSize?: number): Record<string, string> {
    const applied = [
        ...(pageSize !== undefined && ctx.prefer.maxPageSize !== undefined ? [`odata.maxpagesize=${pageSize}`] : []),
        ...(ctx.prefer.immutableIds ? ['IdType=ImmutableId'] : []),
    ];
    return applied.length > 0 ? { 'Preference-Applied': applied.join(', ') } : {};
}

/** The OData key form paging links use: single quotes doubled, and only what would break the URL encoded. */
export function keySegment(name: string, key: string): string {
    const encoded = encodeURIComponent(key.replace(/'/g, "''")).replace(/%3D/g, '=').replace(/%40/g, '@');
    return `${name}('${encoded}')`;
}
