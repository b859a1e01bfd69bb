/** GET /api/stats — the statistics report (`mail-backup stats --json`) as JSON; `?days=N` (default 7). */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { computeStats } from '../backup/stats';
import { getEngine } from './shared/engine';
import { answering, daysQuery } from './shared/problem';

export async function getStats(request: HttpRequest): Promise<HttpResponseInit> {
    const query = daysQuery(request, 7);
    if ('problem' in query) return query.problem;
    const { days } = query;
    return answering(async () => {
        const { storage } = await getEngine();
        return { jsonBody: await computeStats(storage, { days, now: new Date() }) };
    });
}

app.http('getStats', { route: 'stats', methods: ['GET'], authLevel: 'function', handler: getStats });
