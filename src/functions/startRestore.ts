/**
 * POST /api/restores — restore a backed-up mailbox (or a folder or message of it, as of a point in time)
 * into `Restored <time>/…` of the same or another mailbox. Body: `{ "source": "user@contoso.com",
 * "target"?: "...", "asOf"?: "2026-11-20T00:00:00Z", "folder"?: "Inbox/Projects", "messageId"?: "..." }`.
 * Needs the MailBackup.Restore app role; the caller's object id is recorded on the restore.
 * 202 with the restore id and `/api/restores/{restoreId}`; 403 unless RESTORE_ENABLED (restores write to
 * mailboxes and need Mail.ReadWrite) or when RESTORE_ALLOWED_TARGETS leaves the target out; 409 while another
 * restore runs; 400 for a malformed body. Never the Durable management URLs (docs/security.md).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { InputError } from '../common/errors';
import { findBackedUpMailbox } from '../recovery/pointInTime';
import { parsePointInTime } from '../recovery/pointInTimeInput';
import { newRestoreId } from '../restore/restoreMailbox';
import type { RestoreInput } from './shared/restoreInput';
import { authorize, ROLES } from './shared/caller';
import { getEngine } from './shared/engine';
import { ORCHESTRATIONS, RESTORE_INSTANCE_ID } from './shared/names';
import { answering, problem } from './shared/problem';
import { MAX_CHARS, readJsonBody, stringRefusal } from './shared/requestBody';
import { restoreRefusal, restoresOff } from './shared/restorePolicy';
import { startSingleton } from './shared/startRun';

export async function startRestore(
    request: HttpRequest,
    client: df.DurableClient,
    context: InvocationContext,
): Promise<HttpResponseInit> {
    const auth = authorize(request, [ROLES.restore]);
    if ('problem' in auth) return auth.problem;
    return answering(async () => {
        const off = restoresOff();
        if (off) return problem(403, off.title, off.detail);
        const parsed = await parseRestoreRequest(request);
        if (typeof parsed === 'string') return problem(400, 'Invalid restore request', parsed);
        const refused = restoreRefusal(parsed);
        if (refused) return problem(403, refused.title, refused.detail);
        const { storage } = await getEngine();
        if (!(await findBackedUpMailbox(storage, parsed.source))) {
            return problem(
                400,
                'Invalid restore request',
                `"source": ${parsed.source} has never been backed up here; GET /api/stats lists the backed-up mailboxes.`,
            );
        }
        const input: RestoreInput = {
            restoreId: newRestoreId(new Date()),
            ...parsed,
            requestedBy: auth.caller.objectId,
        };
        const result = await startSingleton(client, ORCHESTRATIONS.restore, RESTORE_INSTANCE_ID, input);
        if (!result.started) {
            const restoreId = (result.running?.input as RestoreInput | undefined)?.restoreId;
            return problem(409, 'A restore is in progress', `Restore ${restoreId ?? '(unknown)'} is still going.`, {
                restoreId,
                ...(restoreId && { restore: restorePath(restoreId) }),
            });
        }
        context.log(
            `started restore ${input.restoreId} of ${input.source} into ${input.target ?? input.source}, ` +
                `requested by ${input.requestedBy} (${auth.caller.name})`,
        );
        return {
            status: 202,
            headers: { Location: new URL(restorePath(input.restoreId), request.url).href, 'Retry-After': '60' },
            jsonBody: { restoreId: input.restoreId, restore: restorePath(input.restoreId) },
        };
    });
}

const restorePath = (restoreId: string) => `/api/restores/${restoreId}`;

const LIMITS = {
    source: MAX_CHARS.mailbox,
    target: MAX_CHARS.mailbox,
    asOf: MAX_CHARS.dateTime,
    folder: MAX_CHARS.folderPath,
    messageId: MAX_CHARS.messageId,
} as const;
const FIELDS = Object.keys(LIMITS) as (keyof typeof LIMITS)[];

async function parseRestoreRequest(
    request: HttpRequest,
): Promise<Omit<RestoreInput, 'restoreId' | 'requestedBy'> | string> {
    const read = await readJsonBody(request);
    if ('error' in read) {
        return `${read.error} Send {"source": "user@contoso.com", "target"?, "asOf"?, "folder"?, "messageId"?}.`;
    }
    const { body } = read;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return 'The body must be a JSON object with at least "source", the mailbox to restore from.';
    }
    const fields = body as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => !(FIELDS as string[]).includes(k));
    if (unknown.length > 0) {
        return `Unknown field(s): ${unknown.map((k) => k.slice(0, 40)).join(', ')}. Known: ${FIELDS.join(', ')}.`;
    }
    for (const name of FIELDS) {
        const refusal = fields[name] === undefined ? undefined : stringRefusal(name, fields[name], LIMITS[name]);
        if (refusal) return refusal;
    }
    const { source, target, asOf, folder, messageId } = fields as Partial<Record<(typeof FIELDS)[number], string>>;
    if (!source) return '"source" is required: the user principal name (or id) of the backed-up mailbox.';
    const pointInTime = asOf === undefined ? undefined : asOfField(asOf);
    if (typeof pointInTime === 'string') return pointInTime;
    return {
        source,
        ...(target && { target }),
        ...(pointInTime && { asOf: pointInTime.toISOString() }),
        ...(folder && { folder }),
        ...(messageId && { messageId }),
    };
}

/** The body's `asOf` as the engine reads it, or the refusal naming the field. */
function asOfField(asOf: string): Date | string {
    try {
        return parsePointInTime(asOf);
    } catch (error) {
        if (error instanceof InputError) return `"asOf": ${error.detail}.`;
        throw error;
    }
}

df.app.client.http('startRestore', {
    route: 'restores',
    methods: ['POST'],
    authLevel: 'function',
    handler: startRestore,
});
