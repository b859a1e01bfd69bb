import type { AccessToken, TokenCredential } from '@azure/identity';
import type { AuthenticationProvider } from '@microsoft/microsoft-graph-client';

/** A token is renewed this long before it expires, so none is sent that could lapse in flight or in a retry. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * Hands the Graph client a bearer token, asking the credential again only when the one it holds is near its
 * end (or past the refresh time Entra ID suggested). The library's TokenCredentialAuthenticationProvider asks
 * the credential on every request, and MSAL's cache look-up behind it cost about 5% of the engine's CPU in a
 * full backup (docs/performance.md). Concurrent requests share one renewal.
 */
export class CachedTokenProvider implements AuthenticationProvider {
    private token?: AccessToken;
    private renewal?: Promise<AccessToken>;

    constructor(
        private readonly credential: TokenCredential,
        private readonly scope: string,
        private readonly now: () => number = Date.now,
    ) {}

    async getAccessToken(): Promise<string> {
        if (this.token && this.now() < renewAt(this.token)) return this.token.token;
        this.renewal ??= this.renew().finally(() => (this.renewal = undefined));
        return (await this.renewal).token;
    }

    private async renew(): Promise<AccessToken> {
        const token = await this.credential.getToken(this.scope);
        if (!token) throw new Error(`No token was issued for ${this.scope}`);
        this.token = token;
        return token;
    }
}

function renewAt(token: AccessToken): number {
    const beforeExpiry = token.expiresOnTimestamp - RENEW_BEFORE_MS;
    return token.refreshAfterTimestamp ? Math.min(token.refreshAfterTimestamp, beforeExpiry) : beforeExpiry;
}
