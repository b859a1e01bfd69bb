/** GET /api/stats — the statistics report (`mail-backup stats --json`) as JSON; `?days=N` (default 7). */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { computeStats } from '../backup/stats';
import { getEngine } from './shared/engine';
import { answering, problem } from './shared/problem';

export async function getStats(request: HttpRequest): Promise<HttpResponseInit> {
    const days = Number(request.query.get('days') ?? '7');
    if (!Number.isInteger(days) || days < 1 || days > 3660) {
        return problem(400, 'Invalid query', '"days" must be a whole number of days from 1 to 3660.');
    }
    return answering(async () => {
        const { storage } = await getEngine();
        return { jsonBody: await computeStats(storage, { days, now: new Date() }) };
    });
}

app.http('getStats', { route: 'stats', methods: ['GET'], authLevel: 'function', handler: getStats });
