import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/**
 * Lets each retry attempt carry exactly one current token. The library's AuthenticationHandler
 * appends its Authorization header, so below a retry handler a second attempt would send two
 * tokens; above it, every retry would resend the first token, which can expire during a long
 * Retry-After wait. Removing the header before it is set again gives each attempt a fresh one.
 */
export class FreshAuthorizationHandler implements Middleware {
    private next?: Middleware;

    setNext(next: Middleware): void {
        this.next = next;
    }

    async execute(context: Context): Promise<void> {
        const headers = context.options?.headers as Record<string, string> | undefined;
        if (headers && !(Symbol.iterator in headers)) delete headers.Authorization;
        await this.next?.execute(context);
    }
}
