import type { AccessToken } from '@azure/identity';
import { describe, expect, it } from 'vitest';

import { CachedTokenProvider } from '../../src/graph/tokenProvider';

const HOUR = 60 * 60_000;

function countingCredential(lifetimeMs: number, clock: { now: number }) {
    const credential = {
        issued: 0,
        async getToken(): Promise<AccessToken> {
            credential.issued++;
            await Promise.resolve();
            return { token: `token-${credential.issued}`, expiresOnTimestamp: clock.now + lifetimeMs };
        },
    };
    return credential;
}

describe('the bearer token for Graph', () => {
    it('is asked for once for many requests, including requests that start together', async () => {
        const clock = { now: 0 };
        const credential = countingCredential(HOUR, clock);
        const provider = new CachedTokenProvider(credential, 'scope', () => clock.now);
        const tokens = await Promise.all(Array.from({ length: 20 }, () => provider.getAccessToken()));
        expect(new Set(tokens)).toEqual(new Set(['token-1']));
        clock.now += 30 * 60_000;
        expect(await provider.getAccessToken()).toBe('token-1');
        expect(credential.issued).toBe(1);
    });

    it('is renewed before it expires, so no request carries a token about to lapse', async () => {
        const clock = { now: 0 };
        const credential = countingCredential(HOUR, clock);
        const provider = new CachedTokenProvider(credential, 'scope', () => clock.now);
        await provider.getAccessToken();
        clock.now += HOUR - 4 * 60_000;
        expect(await provider.getAccessToken()).toBe('token-2');
    });

    it('passes on a sign-in failure and asks again on the next request', async () => {
        let fail = true;
        const credential = {
            getToken: async (): Promise<AccessToken> => {
                await Promise.resolve();
                if (fail) throw new Error('AADSTS7000215: Invalid client secret provided.');
                return { token: 'good', expiresOnTimestamp: Date.now() + HOUR };
            },
        };
        const provider = new CachedTokenProvider(credential, 'scope');
        await expect(provider.getAccessToken()).rejects.toThrow('AADSTS7000215');
        fail = false;
        expect(await provider.getAccessToken()).toBe('good');
    });
});
