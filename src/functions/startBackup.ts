/**
 * POST /api/backups — start a backup now. Body (optional JSON): `{ "type": "full" | "incremental",
 * "mailboxes": ["user@contoso.com", ...] }`; default a full backup of every mailbox. Needs the
 * MailBackup.Operate app role.
 * 202 with the run id and `/api/backups/{runId}` to follow it; 409 with the running run's; 400 for a
 * malformed body. Never the Durable management URLs: they carry the extension's system key, which starts,
 * terminates or suspends any orchestration (docs/security.md).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { newRunId } from '../store/runHistory';
import type { RunType } from '../store/entities';
import type { BackupRunInput } from './backupOrchestrator';
import { authorize, ROLES } from './shared/caller';
import { BACKUP_INSTANCE_ID, ORCHESTRATIONS } from './shared/names';
import { problem } from './shared/problem';
import { MAX_CHARS, readJsonBody, stringRefusal } from './shared/requestBody';
import { startSingleton } from './shared/startRun';

const MAX_MAILBOXES = 1000;

export async function startBackup(
    request: HttpRequest,
    client: df.DurableClient,
    context: InvocationContext,
): Promise<HttpResponseInit> {
    const auth = authorize(request, [ROLES.operate]);
    if ('problem' in auth) return auth.problem;
    const parsed = await parseBackupRequest(request);
    if ('error' in parsed) return problem(400, 'Invalid backup request', parsed.error);
    const input: BackupRunInput = { runId: newRunId(new Date()), trigger: 'http', ...parsed };
    const result = await startSingleton(client, ORCHESTRATIONS.backupRun, BACKUP_INSTANCE_ID, input);
    if (!result.started) {
        const runId = (result.running?.input as BackupRunInput | undefined)?.runId;
        return problem(409, 'A backup run is in progress', `Run ${runId ?? '(unknown)'} is still going.`, {
            runId,
            ...(runId && { run: runPath(runId) }),
        });
    }
    context.log(`started ${input.type} backup run ${input.runId} on request of ${auth.caller.objectId}`);
    return {
        status: 202,
        headers: { Location: new URL(runPath(input.runId), request.url).href, 'Retry-After': '60' },
        jsonBody: { runId: input.runId, type: input.type, run: runPath(input.runId) },
    };
}

const runPath = (runId: string) => `/api/backups/${runId}`;

async function parseBackupRequest(
    request: HttpRequest,
): Promise<{ type: RunType; mailboxes?: string[] } | { error: string }> {
    const read = await readJsonBody(request);
    if ('error' in read) {
        return { error: `${read.error} Send {"type": "full" | "incremental", "mailboxes": [...]} or nothing.` };
    }
    const { body } = read;
    if (body === undefined) return { type: 'full' };
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return { error: 'The body must be a JSON object: {"type": "full" | "incremental", "mailboxes": [...]}.' };
    }
    const { type = 'full', mailboxes, ...rest } = body as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) {
        return { error: `Unknown field(s): ${unknown.map((k) => k.slice(0, 40)).join(', ')}. Known: type, mailboxes.` };
    }
    if (type !== 'full' && type !== 'incremental') {
        return { error: `"type" must be "full" or "incremental", got ${JSON.stringify(type).slice(0, 40)}.` };
    }
    if (mailboxes === undefined) return { type };
    if (!Array.isArray(mailboxes) || mailboxes.length === 0 || mailboxes.length > MAX_MAILBOXES) {
        return {
            error: `"mailboxes" must be a list of 1 to ${MAX_MAILBOXES} user principal names or addresses; leave it out for every mailbox.`,
        };
    }
    for (const [i, mailbox] of mailboxes.entries()) {
        const refusal = stringRefusal(`mailboxes[${i}]`, mailbox, MAX_CHARS.mailbox);
        if (refusal) return { error: refusal };
    }
    return { type, mailboxes: (mailboxes as string[]).map((m) => m.trim()) };
}

df.app.client.http('startBackup', {
    route: 'backups',
    methods: ['POST'],
    authLevel: 'function',
    handler: startBackup,
});
