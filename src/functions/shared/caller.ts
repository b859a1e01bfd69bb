/**
 * Who is calling a management endpoint, and whether they hold the app role it needs.
 *
 * App Service authentication (Easy Auth, infra/app/api-auth.bicep) validates the caller's Entra ID token
 * before the request reaches the app and hands its claims on in `x-ms-client-principal`: base64 of
 * `{ "auth_typ", "name_typ", "role_typ", "claims": [{ "typ", "val" }] }`. App Service drops that header
 * from incoming requests, so only Easy Auth can have set it (docs/security.md, "Who may call what").
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import { problem } from './problem';

/** The app roles of the management API's app registration (infra/app/api-auth.bicep declares the same). */
export const ROLES = {
    /** Read run and restore history and statistics. */
    read: 'MailBackup.Read',
    /** Start a backup, and read. */
    operate: 'MailBackup.Operate',
    /** Start a restore into a mailbox, and read. */
    restore: 'MailBackup.Restore',
} as const;

/** Any of the roles may read what the app did. */
export const READ_ROLES = [ROLES.read, ROLES.operate, ROLES.restore] as const;

export interface Caller {
    /** The Entra object id of the user or service principal; what restores record as `requestedBy`. */
    objectId: string;
    /** The user principal name, or the application's name; for log lines only. */
    name: string;
    roles: string[];
}

export const PRINCIPAL_HEADER = 'x-ms-client-principal';

// Easy Auth maps token claims to the long WS-Federation names; tokens it passes on as is keep the short ones.
const OBJECT_ID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const NAME_CLAIMS = ['preferred_username', 'name', 'appid', 'azp'];
const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
/** A principal with a few dozen claims is a few KiB; anything far bigger is not from Easy Auth. */
const MAX_HEADER_CHARS = 32_768;

interface ClientPrincipal {
    auth_typ?: unknown;
    name_typ?: unknown;
    role_typ?: unknown;
    claims?: unknown;
}

/** The caller named by the principal header, or undefined when there is none or it does not parse. */
export function callerOf(request: HttpRequest): Caller | undefined {
    const header = request.headers.get(PRINCIPAL_HEADER);
    if (!header || header.length > MAX_HEADER_CHARS) return undefined;
    let principal: ClientPrincipal;
    try {
        principal = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as ClientPrincipal;
    } catch {
        return undefined;
    }
    if (typeof principal !== 'object' || principal === null || !Array.isArray(principal.claims)) return undefined;
    const claims = (principal.claims as unknown[]).filter(
        (c): c is { typ: string; val: string } =>
            typeof c === 'object' &&
            c !== null &&
            typeof (c as { typ?: unknown }).typ === 'string' &&
            typeof (c as { val?: unknown }).val === 'string',
    );
    const first = (types: string[]) => types.map((t) => claims.find((c) => c.typ === t)?.val).find(Boolean);
    const objectId = first(OBJECT_ID_CLAIMS);
    if (!objectId) return undefined;
    const roleTypes = typeof principal.role_typ === 'string' ? [principal.role_typ, ...ROLE_CLAIMS] : ROLE_CLAIMS;
    const nameTypes = typeof principal.name_typ === 'string' ? [...NAME_CLAIMS, principal.name_typ] : NAME_CLAIMS;
    return {
        objectId,
        name: first(nameTypes) ?? objectId,
        roles: [...new Set(claims.filter((c) => roleTypes.includes(c.typ)).map((c) => c.val))],
    };
}

/**
 * The caller when they hold one of the roles; otherwise the answer to give: 401 without a signed-in caller,
 * 403 naming the role to ask for.
 */
export function authorize(
    request: HttpRequest,
    allowed: readonly string[],
): { caller: Caller } | { problem: HttpResponseInit } {
    const caller = callerOf(request);
    if (!caller) {
        return {
            problem: problem(
                401,
                'Sign-in required',
                'Call this endpoint with an Entra ID access token for the mail backup API ' +
                    '(Authorization: Bearer ...); docs/security.md shows how to get one.',
            ),
        };
    }
    if (!caller.roles.some((role) => allowed.includes(role))) {
        return {
            problem: problem(
                403,
                'Missing app role',
                `This needs the ${allowed.join(' or ')} app role of the mail backup API; ` +
                    'an administrator assigns it under Entra ID, Enterprise applications, Users and groups.',
            ),
        };
    }
    return { caller };
}
