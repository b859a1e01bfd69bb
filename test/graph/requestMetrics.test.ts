import { Client, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { describe, expect, it } from 'vitest';

import { GraphMetrics, MetricsOption, RequestMetricsHandler } from '../../src/graph/requestMetrics';

/** A Graph client whose wire answers each attempt with the next status, or drops the connection on 'drop'. */
function clientOver(answers: (number | 'drop')[]): Client {
    const wire: Middleware = {
        execute: (context: Context) => {
            const answer = answers.shift() ?? 200;
            if (answer === 'drop') return Promise.reject(new TypeError('fetch failed'));
            context.response = Response.json({}, { status: answer });
            return Promise.resolve();
        },
        setNext: () => {},
    };
    return Client.initWithMiddleware({ middleware: [new RequestMetricsHandler(), wire] });
}

/** A GET counted against `metrics`, as MailboxGraph sends every request; resolves whether or not it failed. */
async function get(client: Client, ...metrics: GraphMetrics[]): Promise<void> {
    await client
        .api('/me')
        .middlewareOptions([new MetricsOption(metrics)])
        .get()
        .catch(() => undefined);
}

describe("counting a mailbox's Graph traffic", () => {
    it('counts every attempt that reached the wire, and the throttled ones apart', async () => {
        const mailbox = new GraphMetrics();
        const client = clientOver([429, 429, 200, 503]);

        for (let attempt = 0; attempt < 4; attempt++) await get(client, mailbox);

        expect(mailbox).toMatchObject({ requests: 4, throttled: 2 });
    });

    it('counts an attempt whose connection dropped', async () => {
        const mailbox = new GraphMetrics();

        await get(clientOver(['drop']), mailbox);

        expect(mailbox).toMatchObject({ requests: 1, throttled: 0 });
    });

    it("adds a request to the mailbox's figures and the run's alike, and one sent for neither to none", async () => {
        const mailbox = new GraphMetrics();
        const run = new GraphMetrics();
        const client = clientOver([429, 200]);

        await get(client, mailbox, run);
        await client.api('/me').get();

        expect(mailbox).toMatchObject({ requests: 1, throttled: 1 });
        expect(run).toMatchObject({ requests: 1, throttled: 1 });
    });
});
