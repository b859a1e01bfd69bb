/**
 * GET /api/restores/{restoreId} — one restore from the restores table: what was asked and by whom, where it
 * goes, how far it got and how it ended; `{ status: "pending" }` for a restore accepted but not begun.
 * Needs one of the app's roles.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';

import type { RestoreInput } from './shared/restoreInput';
import { authorize, READ_ROLES } from './shared/caller';
import { getEngine } from './shared/engine';
import { RESTORE_INSTANCE_ID } from './shared/names';
import { answering, problem } from './shared/problem';
import { activeInput } from './shared/startRun';

export async function getRestore(request: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> {
    const auth = authorize(request, READ_ROLES);
    if ('problem' in auth) return auth.problem;
    const restoreId = request.params.restoreId ?? '';
    if (!/^\d{8}T\d{6}Z-[0-9a-f]{4}$/.test(restoreId)) {
        return problem(
            400,
            'Invalid restore id',
            `"${restoreId.slice(0, 40)}" is not a restore id like 20261126T021500Z-3f9a.`,
        );
    }
    return answering(async () => {
        const { storage } = await getEngine();
        const restore = await storage.restores.getRestore(restoreId);
        if (!restore) {
            const pending = await activeInput<RestoreInput>(client, RESTORE_INSTANCE_ID);
            if (pending?.restoreId === restoreId) {
                return { jsonBody: { restoreId, status: 'pending', requestedBy: pending.requestedBy ?? '' } };
            }
            return problem(404, 'No such restore', `Restore ${restoreId} is not in the restores table.`);
        }
        const { partitionKey: _p, rowKey: _r, failedItems, requestedBy, ...rest } = restore;
        return {
            jsonBody: {
                ...rest,
                requestedBy: requestedBy ?? '',
                failedItems: JSON.parse(failedItems || '[]') as unknown,
            },
        };
    });
}

df.app.client.http('getRestore', {
    route: 'restores/{restoreId}',
    methods: ['GET'],
    authLevel: 'function',
    handler: getRestore,
});
