import { AuthenticationHandler, Client, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { describe, expect, it } from 'vitest';

import { FreshAuthorizationHandler } from '../../src/graph/freshAuthorization';
import { TransientFailureHandler } from '../../src/graph/transientFailures';

/**
 * A client that retries (at once) over a wire answering 502 `failures` times, and a token provider handing out
 * token-1, token-2, ...: as a long wait between attempts would see the cached token renewed.
 */
function clientWithRenewingToken(failures: number): { client: Client; sent: unknown[] } {
    let issued = 0;
    const sent: unknown[] = [];
    const wire: Middleware = {
        execute: (context: Context) => {
            sent.push((context.options?.headers as Record<string, unknown>).Authorization);
            context.response = Response.json({}, { status: sent.length <= failures ? 502 : 200 });
            return Promise.resolve();
        },
        setNext: () => {},
    };
    const chain = [
        new TransientFailureHandler(() => Promise.resolve()),
        new FreshAuthorizationHandler(),
        new AuthenticationHandler({ getAccessToken: () => Promise.resolve(`token-${++issued}`) }),
        wire,
    ];
    return { client: Client.initWithMiddleware({ middleware: chain }), sent };
}

describe('the token each attempt of a request carries', () => {
    it('is one current token, fetched again for every attempt', async () => {
        const { client, sent } = clientWithRenewingToken(2);

        await client.api('/users/alice@contoso.com/messages').get();

        expect(sent).toEqual(['Bearer token-1', 'Bearer token-2', 'Bearer token-3']);
    });
});
