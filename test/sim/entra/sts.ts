import { randomBytes, randomUUID } from 'node:crypto';
import type { JsonReply } from '../http/reply';

/**
 * The two Entra ID endpoints ClientSecretCredential calls with instance discovery disabled (docs/graph-behaviour.md,
 * "Tokens and national clouds"): the OpenID configuration of the authority, then the token POST. Errors use Entra's own
 * shape, not Graph's.
 */
export interface StsConfig {
    base: string;
    tenantId: string;
    tenantDomain: string;
    clientId: string;
    clientSecret: string;
    tokenLifetimeSec: number;
}

const STS_JSON = 'application/json; charset=utf-8';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Opaque bearer tokens with an expiry; Graph does not need them to be JWTs (docs/graph-behaviour.md,
 * "Tokens and national clouds").
 */
export class AccessTokens {
    private readonly expiries = new Map<string, number>();

    issue(lifetimeSec: number): string {
        const token = `sim.${randomBytes(32).toString('base64url')}`;
        this.expiries.set(token, Date.now() + lifetimeSec * 1000);
        return token;
    }

    isValid(token: string): boolean {
        return (this.expiries.get(token) ?? 0) > Date.now();
    }
}

export function openIdConfiguration(config: StsConfig, tenant: string): JsonReply {
    const unknown = unknownTenant(config, tenant);
    if (unknown) return unknown;
    const authority = `${config.base}/${tenant}`;
    return {
        status: 200,
        contentType: STS_JSON,
        json: {
            token_endpoint: `${authority}/oauth2/v2.0/token`,
            token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
            jwks_uri: `${authority}/discovery/v2.0/keys`,
            response_modes_supported: ['query', 'fragment', 'form_post'],
            subject_types_supported: ['pairwise'],
            id_token_signing_alg_values_supported: ['RS256'],
            response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
            scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
            issuer: `${config.base}/${config.tenantId}/v2.0`,
            authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
            tenant_region_scope: 'EU',
        },
    };
}

export function issueToken(config: StsConfig, tokens: AccessTokens, tenant: string, form: URLSearchParams): JsonReply {
    const rejected = unknownTenant(config, tenant) ?? rejectRequest(config, form);
    if (rejected) return rejected;
    return {
        status: 200,
        contentType: STS_JSON,
        headers: { 'Cache-Control': 'no-store, no-cache' },
        json: {
            token_type: 'Bearer',
            expires_in: config.tokenLifetimeSec,
            ext_expires_in: config.tokenLifetimeSec,
            access_token: tokens.issue(config.tokenLifetimeSec),
        },
    };
}

function rejectRequest(config: StsConfig, form: URLSearchParams): JsonReply | undefined {
    const clientId = form.get('client_id');
    const scope = form.get('scope');
    if (form.get('grant_type') !== 'client_credentials') {
        return entraError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    }
    if (!clientId) return missing('client_id');
    if (!scope) return missing('scope');
    if (!scope.split(' ').every((s) => s.endsWith('/.default'))) {
        return entraError(
            400,
            'invalid_scope',
            1002012,
            `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
    }
    if (clientId !== config.clientId) {
        return entraError(
            400,
            'unauthorized_client',
            700016,
            `Application with identifier '${clientId}' was not found in the directory '${config.tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
        );
    }
    return rejectCredential(config, form);
}

function rejectCredential(config: StsConfig, form: URLSearchParams): JsonReply | undefined {
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
        if (secret === config.clientSecret) return undefined;
        return entraError(
            401,
            'invalid_client',
            7000215,
            `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${config.clientId}'.`,
        );
    }
    if (assertion !== null) {
        if (form.get('client_assertion_type') !== JWT_BEARER) {
            return entraError(400, 'invalid_request', 90002, `The client_assertion_type must be '${JWT_BEARER}'.`);
        }
        if (assertionNames(assertion, config.clientId)) return undefined;
        return entraError(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
    }
    return entraError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
}

/** A three-part JWT whose payload names the client as both issuer and subject; the signature is not checked. */
function assertionNames(assertion: string, clientId: string): boolean {
    const parts = assertion.split('.');
    if (parts.length !== 3 || parts.some((p) => p === '')) return false;
    try {
        const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<
            string,
            unknown
        >;
        return payload.iss === clientId && payload.sub === clientId;
    } catch {
        return false;
    }
}

function unknownTenant(config: StsConfig, tenant: string): JsonReply | undefined {
    const known = [config.tenantId.toLowerCase(), config.tenantDomain.toLowerCase()];
    if (known.includes(tenant.toLowerCase())) return undefined;
    return entraError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
}

function missing(parameter: string): JsonReply {
    return entraError(
        400,
        'invalid_request',
        900144,
        `The request body must contain the following parameter: '${parameter}'.`,
    );
}

/**
 * Entra's error body (docs/graph-behaviour.md, "Tokens and national clouds"): AADSTS code and trace lines in the
 * description, codes listed apart.
 */
export function entraError(status: number, error: string, code: number, description: string): JsonReply {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date()
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, 'Z');
    return {
        status,
        contentType: STS_JSON,
        json: {
            error,
            error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
            error_codes: [code],
            timestamp,
            trace_id: traceId,
            correlation_id: correlationId,
            error_uri: `https://login.microsoftonline.com/error?code=${code}`,
        },
    };
}
