import { GraphError } from '@microsoft/microsoft-graph-client';

import { AuthenticationError, BackupError, GraphUnavailableError } from '../common/errors';

/**
 * The one place that decides what a failure from Graph or Entra ID means (after the client's own
 * retries have given up). Codes and shapes are those of docs/graph-behaviour.md, sections "Tokens and national clouds",
 * "Users and shared mailboxes", "Message delta" and "Throttling".
 */
export type GraphFailure =
    | 'deltaExpired' // the delta/next link is no longer valid: resynchronise the folder
    | 'mailboxNotEnabled' // the user has no Exchange Online mailbox reachable through Graph
    | 'notFound' // the item, folder or user is gone
    | 'accessDenied' // missing permission or an application access policy
    | 'throttled' // still throttled after every retry
    | 'transient' // 5xx or the connection failed: worth another attempt later
    | 'authentication' // no token: wrong or expired credentials, unknown tenant or app
    | 'other';

const DELTA_EXPIRED_CODES = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid']);
const NOT_FOUND_CODES = new Set([
    'erroritemnotfound',
    'errorsyncfoldernotfound',
    'errorinvaliduser',
    'resourcenotfound',
    'request_resourcenotfound',
]);
const NETWORK_CODES = new Set([
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'EPIPE',
    'ENOTFOUND',
    'EAI_AGAIN',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
]);

export function classifyGraphError(error: unknown): GraphFailure {
    if (error instanceof GraphError) {
        // A credential failing inside the client's middleware arrives wrapped: its name becomes the code.
        if (isIdentityError({ name: error.code })) return 'authentication';
        const code = (error.code ?? '').toLowerCase();
        if (code === 'mailboxnotenabledforrestapi') return 'mailboxNotEnabled';
        if (DELTA_EXPIRED_CODES.has(code) || error.statusCode === 410) return 'deltaExpired';
        if (NOT_FOUND_CODES.has(code) || error.statusCode === 404) return 'notFound';
        if (error.statusCode === 403 || code === 'erroraccessdenied') return 'accessDenied';
        if (error.statusCode === 401) return 'authentication';
        if (error.statusCode === 429) return 'throttled';
        if (error.statusCode >= 500) return 'transient';
        // A request that got no complete answer arrives as a GraphError with statusCode -1 (its
        // NetworkError's name as the code); one dropped while the client read a JSON body, with the
        // response's own 2xx status.
        if (error.statusCode < 400) return isNetworkError(error) ? 'transient' : 'other';
        return 'other';
    }
    if (isIdentityError(error)) return 'authentication';
    if (isNetworkError(error)) return 'transient';
    return 'other';
}

/**
 * A request that got no complete answer: the connection failed, dropped or fell silent (httpTransport.ts). Wrapped by
 * the Graph client, its name becomes the GraphError's code, which is how it is still known for what it is.
 */
export class NetworkError extends Error {
    override readonly name = 'NetworkError';

    constructor(
        message: string,
        /** The system's code, e.g. ECONNRESET. */
        readonly code?: string,
    ) {
        super(message);
    }
}

export function isNetworkError(error: unknown): boolean {
    for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
        if (e instanceof NetworkError || code === 'NetworkError') return true;
        if (e instanceof TypeError && e.message === 'fetch failed') return true;
        if (e instanceof Error && /socket hang up|terminated|other side closed/i.test(e.message)) return true;
        e = (e as { cause?: unknown }).cause;
    }
    return false;
}

function isIdentityError(error: unknown): boolean {
    const name = (error as { name?: unknown })?.name;
    return (
        name === 'AuthenticationRequiredError' ||
        name === 'CredentialUnavailableError' ||
        name === 'AuthenticationError' ||
        name === 'AggregateAuthenticationError'
    );
}

/** What an administrator should do about an AADSTS code (learn.microsoft.com/entra/identity-platform/reference-error-codes). */
const AADSTS_ADVICE: Record<string, string> = {
    '7000215': "the client secret is wrong: set EXCHANGE_CLIENT_SECRET to the secret's Value (not its Secret ID)",
    '7000222': 'the client secret has expired: create a new one and update EXCHANGE_CLIENT_SECRET',
    '700016':
        'no application with EXCHANGE_CLIENT_ID exists in that tenant: check EXCHANGE_CLIENT_ID and EXCHANGE_TENANT_ID',
    '90002': 'the tenant in EXCHANGE_TENANT_ID does not exist: check the Directory (tenant) ID',
    '900023': 'EXCHANGE_TENANT_ID is not a valid tenant id or domain',
    '700027': 'the client certificate was not accepted: upload its public key to the app registration',
    '7000112': 'the application is disabled in the tenant',
    '500011': 'the resource principal was not found: check GRAPH_ENDPOINT matches the cloud of AZURE_AUTHORITY_HOST',
};

/** Turns any failure from Graph or Entra ID into one of our errors with a one-line, secret-free message. */
export function toBackupError(error: unknown, doing: string): BackupError {
    if (error instanceof BackupError) return error;
    const kind = classifyGraphError(error);
    const message = error instanceof Error ? error.message : String(error);
    if (kind === 'authentication') {
        const code = /AADSTS(\d+)/.exec(message)?.[1];
        if (code) {
            const advice = AADSTS_ADVICE[code] ?? 'see https://login.microsoftonline.com/error?code=' + code;
            return new AuthenticationError(`Sign-in to Microsoft Entra ID failed (AADSTS${code}): ${advice}.`, {
                cause: error,
            });
        }
        if (/endpoints_resolution_error|ENOTFOUND|ECONNREFUSED|certificate/i.test(message)) {
            // MSAL reports an unknown tenant and an unreachable host alike: it could not read the
            // tenant's OpenID configuration (docs/graph-behaviour.md, "Tokens and national clouds").
            return new AuthenticationError(
                'Cannot get the sign-in configuration of EXCHANGE_TENANT_ID from AZURE_AUTHORITY_HOST: check the tenant id, the host, the network, and that its TLS certificate is trusted.',
                { cause: error },
            );
        }
        if (error instanceof GraphError && error.statusCode > 0) {
            return new AuthenticationError(
                `Microsoft Graph refused the access token while ${doing} (${error.code ?? error.statusCode}): check that the app has the Mail.Read and User.Read.All application permissions with admin consent.`,
                { cause: error },
            );
        }
        return new AuthenticationError(`Sign-in to Microsoft Entra ID failed: ${firstLine(message)}`, { cause: error });
    }
    if (kind === 'accessDenied') {
        return new AuthenticationError(
            `Access denied while ${doing}: grant the app the Mail.Read and User.Read.All application permissions (admin consent), and check any application access policy.`,
            { cause: error },
        );
    }
    if (kind === 'transient' || kind === 'throttled') {
        return new GraphUnavailableError(`Microsoft Graph kept failing while ${doing}: ${describe(error)}.`, {
            cause: error,
        });
    }
    return new BackupError(`Microsoft Graph failed while ${doing}: ${describe(error)}.`, { cause: error });
}

export function describe(error: unknown): string {
    if (error instanceof GraphError) {
        const code = error.code ?? `HTTP ${error.statusCode}`;
        return `${code}${error.message ? ': ' + firstLine(error.message) : ''}`;
    }
    if (isNetworkError(error)) {
        const cause = (error as { cause?: { code?: string } }).cause;
        return `network error${cause?.code ? ' ' + cause.code : ''}`;
    }
    return error instanceof Error ? firstLine(error.message) : String(error);
}

function firstLine(text: string): string {
    return (text.split(/\r?\n/)[0] ?? '').slice(0, 300);
}
