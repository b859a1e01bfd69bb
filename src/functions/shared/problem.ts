import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import { BackupError, StorageError } from '../../common/errors';

/** An RFC 9457 problem body: what went wrong, in words an administrator can act on. */
export function problem(
    status: number,
    title: string,
    detail: string,
    extra: Record<string, unknown> = {},
): HttpResponseInit {
    return {
        status,
        headers: { 'Content-Type': 'application/problem+json' },
        jsonBody: { type: 'about:blank', title, status, detail, ...extra },
    };
}

/**
 * Runs an HTTP handler's work, answering a configuration or storage problem (missing setting, refused
 * identity, unreachable account) with a problem body naming what to fix instead of a bare 500.
 */
export async function answering(work: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
    try {
        return await work();
    } catch (error) {
        if (!(error instanceof BackupError)) throw error;
        const status = error instanceof StorageError ? 503 : 500;
        return problem(
            status,
            status === 503 ? 'Backup storage unavailable' : 'Backup app misconfigured',
            error.userMessage,
        );
    }
}

/** The `?days=N` of a report endpoint, or the problem to answer when it is not a sensible number of days. */
export function daysQuery(request: HttpRequest, fallback: number): { days: number } | { problem: HttpResponseInit } {
    const days = Number(request.query.get('days') ?? fallback);
    if (Number.isInteger(days) && days >= 1 && days <= 3660) return { days };
    return { problem: problem(400, 'Invalid query', '"days" must be a whole number of days from 1 to 3660.') };
}
