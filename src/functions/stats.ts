/**
 * GET /api/stats — the statistics report (`mail-backup stats --json`) as JSON; `?days=N` (default 7).
 * Needs one of the app's roles.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { computeStats } from '../maintenance/stats';
import { authorize, READ_ROLES } from './shared/caller';
import { getEngine } from './shared/engine';
import { answering, daysQuery } from './shared/problem';

export async function getStats(request: HttpRequest): Promise<HttpResponseInit> {
    const auth = authorize(request, READ_ROLES);
    if ('problem' in auth) return auth.problem;
    const query = daysQuery(request, 7);
    if ('problem' in query) return query.problem;
    const { days } = query;
    return answering(async () => {
        const { storage } = await getEngine();
        return { jsonBody: await computeStats(storage, { days, now: new Date() }) };
    });
}

app.http('getStats', { route: 'stats', methods: ['GET'], authLevel: 'function', handler: getStats });
