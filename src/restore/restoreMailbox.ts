import { randomBytes } from 'node:crypto';

import type { EngineDeps } from '../backup/mailboxBackup';
import type { FailedItem } from '../common/mailbox';
import { AuthenticationError, BackupError, InputError } from '../common/errors';
import { classifyGraphError, describe, toBackupError } from '../graph/graphErrors';
import { MailboxGraph } from '../graph/mailboxGraph';
import { MailWriter } from '../graph/mailWriter';
import { GraphMetrics } from '../graph/requestMetrics';
import { getUser } from '../graph/user';
import { forEachConcurrently } from '../common/concurrency';
import { findBackedUpMailbox, type MessageAsOf, messagesAsOf } from '../recovery/pointInTime';
import {
    emptyRestoreCounters,
    type RestoreCounters,
    type RestoreEntity,
    type RestoreStatus,
} from '../store/restoreHistory';
import { RestoreFolders } from './restoreFolders';
import { ItemRecorder } from './itemRecorder';
import { MessageFeed } from './messageFeed';
import { UnrestorableMessageError } from './restoreErrors';
import { restoreMessage } from './restoreMessage';

export type RestoreDeps = Pick<EngineDeps, 'client' | 'storage' | 'now' | 'log' | 'signal'>;

export interface RestoreRequest {
    /** Names the restore: calling again with the same id continues it and never restores a message twice. */
    restoreId: string;
    /** The backed-up mailbox: UPN or Entra object id. */
    source: string;
    /** The mailbox to restore into (UPN or id); the source when absent. */
    target?: string;
    /** As the last backup completed by then saw the mailbox; the latest backup when absent. */
    asOf?: Date;
    /** Only this folder and those below it ('Inbox/Projects'). */
    folder?: string;
    /** Only this message (its immutable id in the source). */
    messageId?: string;
    /** The Entra object id of whoever asked for the restore (the Functions app's caller); recorded on its row. */
    requestedBy?: string;
}

export interface RestoreOutcome {
    restoreId: string;
    status: Exclude<RestoreStatus, 'running'>;
    /** This call's work; `messagesAlreadyRestored` counts what earlier calls of the restore did. */
    counters: RestoreCounters;
    failures: FailedItem[];
    targetUserPrincipalName: string;
    rootFolderName: string;
}

/**
 * Messages restored side by side. More than the mailbox's four Graph slots, so that reading the backup and
 * recording the result (Azure Storage) overlap with other lanes' requests; Graph still sees at most four.
 */
const MESSAGE_LANES = 8;
const MAX_RECORDED_FAILURES = 50;

/** A new restore id: its start in UTC plus a random suffix, `20261126T021500Z-3f9a`, as run ids are. */
export function newRestoreId(now: Date): string {
    return `${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z-${randomBytes(2).toString('hex')}`;
}

/**
 * Restores a backed-up mailbox (or a folder or message of it, as of a point in time) into a new folder tree
 * `Restored <start time>/<original path>` of the target mailbox, so nothing in place is overwritten.
 *
 * Idempotent and resumable, for a Durable activity as for the CLI: each restored message is recorded under the
 * restore id as soon as it is complete, and a call with the same id skips what is recorded. With `deadline`
 * (epoch ms) it starts no message after it and returns `incomplete`; call it again to go on.
 *
 * Throws, after recording the restore as failed, when nothing can be restored at all: no such backup or
 * target, or the app may not write to the target mailbox.
 */
export async function restoreMailbox(
    deps: RestoreDeps,
    request: RestoreRequest,
    options: { deadline?: number } = {},
): Promise<RestoreOutcome> {
    const restore = await openRestore(deps, request);
    const metrics = new GraphMetrics();
    const writer = new MailWriter(new MailboxGraph(deps.client, restore.targetMailboxId, [metrics]));
    const records = new ItemRecorder(deps.storage.restores, restore.restoreId);
    const ctx = {
        restoreId: restore.restoreId,
        writer,
        content: deps.storage.content,
        records,
        folders: new RestoreFolders(writer, restore.rootFolderName),
        now: deps.now,
    };
    const done = await deps.storage.restores.restoredItems(restore.restoreId);
    const counters = emptyRestoreCounters();
    const failures: FailedItem[] = [];
    const index = messagesAsOf(deps.storage, restore.sourceMailboxId, {
        asOf: restore.asOf ? new Date(restore.asOf) : undefined,
        folder: restore.folder || undefined,
        messageId: restore.messageId || undefined,
    })[Symbol.asyncIterator]();
    const isDone = (message: MessageAsOf) => {
        if (done.get(message.messageId)?.state !== 'restored') return false;
        counters.messagesAlreadyRestored++;
        return true;
    };
    // Recorded as about to be created, a batch at a time, before any of them is: a rerun then looks for each.
    const messages = new MessageFeed(index, isDone, (batch) =>
        records.creating(
            batch.map((message) => ({
                sourceMessageId: message.messageId,
                sha256: message.sha256,
                targetMessageId: '',
                state: 'creating' as const,
                updatedAt: deps.now().toISOString(),
            })),
        ),
    );
    const outOfTime = () =>
        !!deps.signal?.aborted || (options.deadline !== undefined && deps.now().getTime() >= options.deadline);
    let stopped = false;

    const restoreOne = async (message: MessageAsOf): Promise<void> => {
        try {
            const restored = await restoreMessage(ctx, message, done.get(message.messageId));
            counters.messagesRestored++;
            counters.bytesUploaded += restored.bytesUploaded;
            counters.partsApproximated += restored.partsApproximated;
            for (const warning of restored.warnings) failures.push(failedItem(message, warning));
        } catch (error) {
            if (isFatal(error)) throw error;
            counters.messagesFailed++;
            const reason = error instanceof UnrestorableMessageError ? error.userMessage : describe(error);
            failures.push(failedItem(message, reason));
            deps.log.warn(`could not restore "${message.subject}" in ${message.folderPath}: ${reason}`);
        }
    };
    // The lanes take no new message once time is up; what is left waits for the next slice.
    const untilOutOfTime = async function* (): AsyncGenerator<MessageAsOf> {
        for (;;) {
            if (outOfTime()) {
                stopped = true;
                return;
            }
            const next = await messages.next();
            if (!next) return;
            yield next;
        }
    };
    try {
        await forEachConcurrently(untilOutOfTime(), MESSAGE_LANES, restoreOne);
        await messages.close();
        await records.flush();
    } catch (error) {
        const failure = fatalError(error, restore);
        // Rows not written stay `creating`, which is safe: a rerun looks for those messages before creating them.
        await messages.close();
        await records.flush().catch((flushError: unknown) => deps.log.warn(`restore records: ${describe(flushError)}`));
        await finish(deps, restore, 'failed', counters, metrics, [
            ...failures,
            { id: '', subject: '', folder: '', error: failure.userMessage },
        ]);
        throw failure;
    }
    const restoredAny = counters.messagesRestored + counters.messagesAlreadyRestored > 0;
    const status = stopped ? 'incomplete' : failures.length === 0 ? 'succeeded' : restoredAny ? 'partial' : 'failed';
    await finish(deps, restore, status, counters, metrics, failures);
    return {
        restoreId: restore.restoreId,
        status,
        counters,
        failures,
        targetUserPrincipalName: restore.targetUserPrincipalName,
        rootFolderName: restore.rootFolderName,
    };
}

/** The restore's row: the one an earlier call recorded, or a new one once source and target are known. */
async function openRestore(deps: RestoreDeps, request: RestoreRequest): Promise<RestoreEntity> {
    const existing = await deps.storage.restores.getRestore(request.restoreId);
    const source = await findBackedUpMailbox(deps.storage, request.source);
    if (!source) {
        throw new InputError(
            'source',
            `${request.source} has never been backed up here; check the name (the stats report lists the backed-up mailboxes)`,
        );
    }
    const target = request.target
        ? await getUser(deps.client, request.target, 'target')
        : { id: source.id, userPrincipalName: source.userPrincipalName };
    const asked = {
        sourceMailboxId: source.id,
        targetMailboxId: target.id,
        asOf: request.asOf?.toISOString() ?? '',
        folder: request.folder ?? '',
        messageId: request.messageId ?? '',
    };
    if (existing) {
        const differs = (Object.keys(asked) as (keyof typeof asked)[]).filter((key) => existing[key] !== asked[key]);
        if (differs.length > 0) {
            throw new InputError(
                'restoreId',
                `${request.restoreId} was started with other options (${differs.join(', ')} differ); give the same ` +
                    'source, target, point in time, folder and message to continue it, or start a new restore',
            );
        }
        return { ...existing, status: 'running', endedAt: '' };
    }
    const startedAt = deps.now();
    const restore: RestoreEntity = {
        partitionKey: 'restore',
        rowKey: request.restoreId,
        restoreId: request.restoreId,
        ...asked,
        targetUserPrincipalName: target.userPrincipalName,
        rootFolderName: `Restored ${startedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`,
        status: 'running',
        startedAt: startedAt.toISOString(),
        endedAt: '',
        failedItems: '[]',
        requestedBy: request.requestedBy ?? '',
        ...emptyRestoreCounters(),
    };
    await deps.storage.restores.saveRestore(restore);
    return restore;
}

/**
 * Records how the call ended. Restored messages, bytes and requests add up over the calls of a restore;
 * failures are this call's, since each call retries what failed before.
 */
async function finish(
    deps: RestoreDeps,
    restore: RestoreEntity,
    status: RestoreStatus,
    counters: RestoreCounters,
    metrics: GraphMetrics,
    failures: FailedItem[],
): Promise<void> {
    counters.graphRequests = metrics.requests;
    counters.graphThrottled = metrics.throttled;
    await deps.storage.restores.saveRestore({
        ...restore,
        status,
        endedAt: deps.now().toISOString(),
        messagesRestored: restore.messagesRestored + counters.messagesRestored,
        messagesAlreadyRestored: counters.messagesAlreadyRestored,
        messagesFailed: counters.messagesFailed,
        // Rows written before the counter was kept have none.
        partsApproximated: (restore.partsApproximated ?? 0) + counters.partsApproximated,
        bytesUploaded: restore.bytesUploaded + counters.bytesUploaded,
        graphRequests: restore.graphRequests + counters.graphRequests,
        graphThrottled: restore.graphThrottled + counters.graphThrottled,
        failedItems: JSON.stringify(failures.slice(0, MAX_RECORDED_FAILURES)),
    });
}

/** Failures no other message would escape: the app may not write there, or cannot sign in. */
function isFatal(error: unknown): boolean {
    const kind = classifyGraphError(error);
    return kind === 'accessDenied' || kind === 'authentication';
}

function fatalError(error: unknown, restore: RestoreEntity): BackupError {
    if (classifyGraphError(error) === 'accessDenied') {
        return new AuthenticationError(
            `Access denied writing to the mailbox ${restore.targetUserPrincipalName}: restore needs the Mail.ReadWrite ` +
                'application permission (admin consent; backup needs only Mail.Read), and any application access ' +
                'policy or RBAC scope must include that mailbox.',
            { cause: error },
        );
    }
    return toBackupError(error, `restoring into ${restore.targetUserPrincipalName}`);
}

function failedItem(message: MessageAsOf, error: string): FailedItem {
    return { id: message.messageId, subject: message.subject, folder: message.folderPath, error };
}
