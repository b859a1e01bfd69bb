/**
 * POST /api/backups — start a backup now. Body (optional JSON): `{ "type": "full" | "incremental",
 * "mailboxes": ["user@contoso.com", ...] }`; default a full backup of every mailbox.
 * 202 with the run id and the Durable status URLs; 409 while a run is going; 400 for a malformed body.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { newRunId } from '../store/runHistory';
import type { RunType } from '../store/entities';
import type { BackupRunInput } from './backupOrchestrator';
import { BACKUP_INSTANCE_ID, ORCHESTRATIONS } from './shared/names';
import { problem } from './shared/problem';
import { startSingleton } from './shared/startRun';

const MAX_MAILBOXES = 1000;

export async function startBackup(
    request: HttpRequest,
    client: df.DurableClient,
    context: InvocationContext,
): Promise<HttpResponseInit> {
    const parsed = await parseBackupRequest(request);
    if ('error' in parsed) return problem(400, 'Invalid backup request', parsed.error);
    const input: BackupRunInput = { runId: newRunId(new Date()), trigger: 'http', ...parsed };
    const result = await startSingleton(client, ORCHESTRATIONS.backupRun, BACKUP_INSTANCE_ID, input);
    const urls = client.createHttpManagementPayload(BACKUP_INSTANCE_ID);
    if (!result.started) {
        const running = result.running?.input as BackupRunInput | undefined;
        return problem(409, 'A backup run is in progress', `Run ${running?.runId ?? '(unknown)'} is still going.`, {
            runId: running?.runId,
            statusQueryGetUri: urls.statusQueryGetUri,
        });
    }
    context.log(`started ${input.type} backup run ${input.runId} on request`);
    return {
        status: 202,
        headers: { Location: urls.statusQueryGetUri, 'Retry-After': '60' },
        jsonBody: { runId: input.runId, type: input.type, run: `/api/backups/${input.runId}`, ...urls },
    };
}

async function parseBackupRequest(
    request: HttpRequest,
): Promise<{ type: RunType; mailboxes?: string[] } | { error: string }> {
    const text = await request.text();
    if (!text.trim()) return { type: 'full' };
    let body: unknown;
    try {
        body = JSON.parse(text);
    } catch {
        return { error: 'The body is not JSON. Send {"type": "full" | "incremental", "mailboxes": [...]} or nothing.' };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return { error: 'The body must be a JSON object: {"type": "full" | "incremental", "mailboxes": [...]}.' };
    }
    const { type = 'full', mailboxes, ...rest } = body as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) return { error: `Unknown field(s): ${unknown.join(', ')}. Known: type, mailboxes.` };
    if (type !== 'full' && type !== 'incremental') {
        return { error: `"type" must be "full" or "incremental", got ${JSON.stringify(type)}.` };
    }
    if (mailboxes === undefined) return { type };
    if (
        !Array.isArray(mailboxes) ||
        mailboxes.length === 0 ||
        mailboxes.length > MAX_MAILBOXES ||
        !mailboxes.every((m) => typeof m === 'string' && m.trim() !== '')
    ) {
        return {
            error: `"mailboxes" must be a list of 1 to ${MAX_MAILBOXES} user principal names or addresses; leave it out for every mailbox.`,
        };
    }
    return { type, mailboxes: mailboxes.map((m: string) => m.trim()) };
}

df.app.client.http('startBackup', {
    route: 'backups',
    methods: ['POST'],
    authLevel: 'function',
    handler: startBackup,
});
