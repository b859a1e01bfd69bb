/**
 * GET /api/backups — recent runs from the run history (the same table the CLI writes), newest first;
 * `?days=N` (default 30). GET /api/backups/{runId} — one run with its per-mailbox results, or
 * `{ status: "pending" }` for a run accepted but not begun. Either needs one of the app's roles.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';

import type { BackupRunInput } from './backupOrchestrator';
import { authorize, READ_ROLES } from './shared/caller';
import { getEngine } from './shared/engine';
import { BACKUP_INSTANCE_ID } from './shared/names';
import { answering, daysQuery, problem } from './shared/problem';
import { activeInput } from './shared/startRun';

const DAY_MS = 24 * 60 * 60 * 1000;

export async function listBackups(request: HttpRequest): Promise<HttpResponseInit> {
    const auth = authorize(request, READ_ROLES);
    if ('problem' in auth) return auth.problem;
    const query = daysQuery(request, 30);
    if ('problem' in query) return query.problem;
    const { days } = query;
    return answering(async () => {
        const { storage } = await getEngine();
        const runs = [];
        for await (const run of storage.runs.listRuns(new Date(Date.now() - days * DAY_MS)))
            runs.push(withoutKeys(run));
        return { jsonBody: { days, runs: runs.reverse() } };
    });
}

export async function getBackup(request: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> {
    const auth = authorize(request, READ_ROLES);
    if ('problem' in auth) return auth.problem;
    const runId = request.params.runId ?? '';
    if (!/^\d{8}T\d{6}Z-[0-9a-f]{4}$/.test(runId)) {
        return problem(400, 'Invalid run id', `"${runId.slice(0, 40)}" is not a run id like 20261126T021500Z-3f9a.`);
    }
    return answering(async () => {
        const { storage } = await getEngine();
        const run = await storage.runs.getRun(runId);
        if (!run) {
            const pending = await activeInput<BackupRunInput>(client, BACKUP_INSTANCE_ID);
            if (pending?.runId === runId) return { jsonBody: { runId, type: pending.type, status: 'pending' } };
            return problem(404, 'No such run', `Run ${runId} is not in the run history (cleanup may have removed it).`);
        }
        const mailboxes = [];
        for await (const row of storage.runs.listMailboxRuns(runId)) {
            const { failedItems, ...rest } = withoutKeys(row);
            mailboxes.push({ ...rest, failedItems: JSON.parse(failedItems || '[]') as unknown });
        }
        return { jsonBody: { ...withoutKeys(run), mailboxes } };
    });
}

function withoutKeys<T extends { partitionKey: string; rowKey: string }>(row: T): Omit<T, 'partitionKey' | 'rowKey'> {
    const { partitionKey: _p, rowKey: _r, ...rest } = row;
    return rest;
}

app.http('listBackups', { route: 'backups', methods: ['GET'], authLevel: 'function', handler: listBackups });
df.app.client.http('getBackup', {
    route: 'backups/{runId}',
    methods: ['GET'],
    authLevel: 'function',
    handler: getBackup,
});
