import {
    AuthenticationHandler,
    Client,
    RetryHandler,
    RetryHandlerOptions,
    TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import type { TokenCredential } from '@azure/identity';

import { graphScope } from './credentials';
import { FreshAuthorizationHandler } from './freshAuthorization';
import { NodeHttpHandler } from './httpTransport';
import { RequestMetricsHandler } from './requestMetrics';
import { CachedTokenProvider } from './tokenProvider';
import { mayResend, TransientFailureHandler } from './transientFailures';

/** Hosts the Graph client already trusts with a bearer token (docs/graph-behaviour.md, "The Graph client library"). */
const GRAPH_HOSTS = new Set([
    'graph.microsoft.com',
    'graph.microsoft.us',
    'dod-graph.microsoft.us',
    'graph.microsoft.de',
    'microsoftgraph.chinacloudapi.cn',
    'canary.graph.microsoft.com',
]);

/** Throttling can last minutes during a tenant-wide backup; 10 is the library's maximum. */
const MAX_RETRIES = 10;

export interface GraphClientOptions {
    /** How the client waits before sending again a request whose connection dropped or that got a 500/502. */
    pause?: (ms: number) => Promise<void>;
}

/**
 * The Graph client with the library's own middleware (auth, Retry-After aware retries, telemetry),
 * plus ours: retries of dropped connections and 500/502, which the library's RetryHandler does not
 * cover, per-request metrics, and the transport (httpTransport.ts). A POST answered 504 is not
 * resent (mayResend).
 */
export function createGraphClient(
    credential: TokenCredential,
    graphEndpoint: string,
    options: GraphClientOptions = {},
): Client {
    const host = new URL(graphEndpoint).hostname;
    const authProvider = new CachedTokenProvider(credential, graphScope(graphEndpoint));
    // Authentication below the retry handlers: a retry after a long Retry-After must not resend a
    // token that expired meanwhile (the provider renews a token well before it expires).
    const chain = [
        new RetryHandler(new RetryHandlerOptions(2, MAX_RETRIES, mayResend)),
        new TransientFailureHandler(options.pause),
        new FreshAuthorizationHandler(),
        new AuthenticationHandler(authProvider),
        new RequestMetricsHandler(),
        new TelemetryHandler(),
        new NodeHttpHandler(),
    ];
    return Client.initWithMiddleware({
        middleware: chain,
        baseUrl: graphEndpoint,
        defaultVersion: 'v1.0',
        // The bearer token is only attached to known Graph hosts; a private endpoint must be named,
        // by host name without port (docs/graph-behaviour.md, "The Graph client library").
        customHosts: GRAPH_HOSTS.has(host) ? undefined : new Set([host]),
    });
}
