/**
 * POST /api/restores — restore a backed-up mailbox (or a folder or message of it, as of a point in time)
 * into `Restored <time>/…` of the same or another mailbox. Body: `{ "source": "user@contoso.com",
 * "target"?: "...", "asOf"?: "2026-11-20T00:00:00Z", "folder"?: "Inbox/Projects", "messageId"?: "..." }`.
 * 202 with the restore id and status URLs; 403 unless RESTORE_ENABLED (restores write to mailboxes and
 * need Mail.ReadWrite); 409 while another restore runs; 400 for a malformed body.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { loadAppSettings } from '../config';
import { findBackedUpMailbox } from '../recovery/pointInTime';
import { newRestoreId } from '../restore/restoreMailbox';
import type { RestoreInput } from './restoreOrchestrator';
import { getEngine } from './shared/engine';
import { ORCHESTRATIONS, RESTORE_INSTANCE_ID } from './shared/names';
import { answering, problem } from './shared/problem';
import { startSingleton } from './shared/startRun';

export async function startRestore(
    request: HttpRequest,
    client: df.DurableClient,
    context: InvocationContext,
): Promise<HttpResponseInit> {
    return answering(async () => {
        if (!loadAppSettings(process.env).restoreEnabled) {
            return problem(
                403,
                'Restore is turned off',
                'Restores write into mailboxes. To allow them, grant the app Mail.ReadWrite and set RESTORE_ENABLED=true.',
            );
        }
        const parsed = parseRestoreRequest(await request.text());
        if (typeof parsed === 'string') return problem(400, 'Invalid restore request', parsed);
        const { storage } = await getEngine();
        if (!(await findBackedUpMailbox(storage, parsed.source))) {
            return problem(
                400,
                'Invalid restore request',
                `"source": ${parsed.source} has never been backed up here; GET /api/stats lists the backed-up mailboxes.`,
            );
        }
        const input: RestoreInput = { restoreId: newRestoreId(new Date()), ...parsed };
        const result = await startSingleton(client, ORCHESTRATIONS.restore, RESTORE_INSTANCE_ID, input);
        const urls = client.createHttpManagementPayload(RESTORE_INSTANCE_ID);
        if (!result.started) {
            const running = result.running?.input as RestoreInput | undefined;
            return problem(
                409,
                'A restore is in progress',
                `Restore ${running?.restoreId ?? '(unknown)'} is still going.`,
                {
                    restoreId: running?.restoreId,
                    statusQueryGetUri: urls.statusQueryGetUri,
                },
            );
        }
        context.log(`started restore ${input.restoreId} of ${input.source} into ${input.target ?? input.source}`);
        return {
            status: 202,
            headers: { Location: urls.statusQueryGetUri, 'Retry-After': '60' },
            jsonBody: { restoreId: input.restoreId, ...urls },
        };
    });
}

const FIELDS = ['source', 'target', 'asOf', 'folder', 'messageId'] as const;

function parseRestoreRequest(text: string): Omit<RestoreInput, 'restoreId'> | string {
    let body: unknown;
    try {
        body = JSON.parse(text || 'null');
    } catch {
        return 'The body is not JSON. Send {"source": "user@contoso.com", "target"?, "asOf"?, "folder"?, "messageId"?}.';
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return 'The body must be a JSON object with at least "source", the mailbox to restore from.';
    }
    const fields = body as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => !(FIELDS as readonly string[]).includes(k));
    if (unknown.length > 0) return `Unknown field(s): ${unknown.join(', ')}. Known: ${FIELDS.join(', ')}.`;
    for (const name of FIELDS) {
        const value = fields[name];
        if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
            return `"${name}" must be a non-empty string.`;
        }
    }
    const { source, target, asOf, folder, messageId } = fields as Partial<Record<(typeof FIELDS)[number], string>>;
    if (!source) return '"source" is required: the user principal name (or id) of the backed-up mailbox.';
    if (asOf !== undefined && Number.isNaN(Date.parse(asOf))) {
        return `"asOf" must be an ISO 8601 date and time, e.g. 2026-11-20T00:00:00Z; got "${asOf}".`;
    }
    return {
        source,
        ...(target && { target }),
        ...(asOf && { asOf: new Date(asOf).toISOString() }),
        ...(folder && { folder }),
        ...(messageId && { messageId }),
    };
}

df.app.client.http('startRestore', {
    route: 'restores',
    methods: ['POST'],
    authLevel: 'function',
    handler: startRestore,
});
