/**
 * A mailbox as a completed backup saw it: the basis of export and restore.
 *
 * A restore point is a mailbox's row in a backup run (`mailboxruns`) that ended `succeeded` or `partial`.
 * "As of T" means as of the latest restore point that ended at or before T, read from the index with that
 * point's end as the cutoff C:
 *   - the message existed: first seen at or before C, and its placement at C is not a deletion;
 *   - its folder: the `messages` row's (folderId, folderPath) when it has been there since C or earlier
 *     (placedSince ≤ C), else the `placements` row with validFrom ≤ C < validTo; none means it was
 *     deleted at C;
 *   - its content: the `messages` row's version when contentSince ≤ C, else the `versions` row with
 *     validFrom ≤ C < validTo.
 * A partial point is a point all the same: it holds everything its run and earlier runs stored; what that
 * run could not read (failed downloads, folders it did not reach) is as the run before left it, or absent
 * if it was new. Read state, flag and categories are the message's latest, not as of C: the index keeps
 * no history of them. A folder renamed since C keeps the name the message last saw it under.
 */
import { InputError } from '../common/errors';
import { mapConcurrently } from '../common/concurrency';
import type { FolderEntity, MessageEntity, RunEntity } from '../store/entities';
import type { BackupStorage } from '../store/storage';

export interface MessageAsOf {
    mailboxId: string;
    messageId: string; // immutable Graph id in the source mailbox
    folderId: string;
    folderPath: string; // display-name path at that time, e.g. "Inbox/Projects"
    version: number;
    sha256: string;
    size: number;
    emlBlob: string; // '' when only JSON was stored
    jsonBlob: string; // '' when only MIME was stored
    subject: string;
    receivedAt: string;
    internetMessageId: string;
    isRead: boolean;
    flagStatus: string;
    categories: string[];
    isDraft: boolean;
    /** folderPath as its display names, one per level: a name may itself contain '/'. */
    folderNames: string[];
}

export interface AsOfFilter {
    asOf?: Date;
    folder?: string /* path prefix, case-insensitive, '/'-separated */;
    messageId?: string;
}

export interface RestorePoint {
    runId: string;
    type: string;
    endedAt: string;
    status: string;
}

/** Mailbox rows read side by side, one query per run. */
const PARALLEL_RUN_READS = 8;

/** Messages of the mailbox as the last backup completed at or before `asOf` saw them (latest state when omitted). */
export async function* messagesAsOf(
    storage: BackupStorage,
    mailboxId: string,
    filter: AsOfFilter = {},
): AsyncIterable<MessageAsOf> {
    const cutoff = filter.asOf ? (await restorePointAt(storage, mailboxId, filter.asOf)).endedAt : undefined;
    const folders = await folderTree(storage, mailboxId);
    const prefix = filter.folder === undefined ? undefined : folderKey(filter.folder);
    for await (const row of indexRows(storage, mailboxId, filter.messageId)) {
        const message = cutoff === undefined ? latestState(row, folders) : await stateAt(storage, row, cutoff, folders);
        if (!message) continue;
        if (prefix !== undefined && !isWithin(message.folderPath, prefix)) continue;
        yield message;
    }
}

/** A mailbox known to the backup, by UPN (case-insensitive) or Entra id; undefined when never backed up. */
export async function findBackedUpMailbox(
    storage: BackupStorage,
    upnOrId: string,
): Promise<{ id: string; userPrincipalName: string } | undefined> {
    const wanted = upnOrId.trim().toLowerCase();
    // Newest first: a mailbox backed up lately is found in the first run read.
    for (const run of (await backupRuns(storage)).reverse()) {
        for await (const row of storage.runs.listMailboxRuns(run.runId)) {
            if (row.status === 'skipped') continue;
            if (row.mailboxId.toLowerCase() === wanted || row.userPrincipalName.toLowerCase() === wanted) {
                return { id: row.mailboxId, userPrincipalName: row.userPrincipalName };
            }
        }
    }
    // Its runs may have been cleaned up while its messages are kept: the partition is the mailbox id.
    for await (const row of storage.index.listMailbox(upnOrId.trim(), ['partitionKey'])) {
        return { id: row.partitionKey, userPrincipalName: '' };
    }
    return undefined;
}

/** Completed backups (restore points) of a mailbox, oldest first. */
export async function restorePoints(storage: BackupStorage, mailboxId: string): Promise<RestorePoint[]> {
    return (await allRestorePoints(storage)).get(mailboxId) ?? [];
}

/** Restore points of every mailbox the run history names, by mailbox id, each oldest first. */
export async function allRestorePoints(storage: BackupStorage): Promise<Map<string, RestorePoint[]>> {
    const runs = await backupRuns(storage);
    const perRun = await mapConcurrently(runs, PARALLEL_RUN_READS, async (run) => {
        const points: [string, RestorePoint][] = [];
        for await (const row of storage.runs.listMailboxRuns(run.runId)) {
            if ((row.status === 'succeeded' || row.status === 'partial') && row.endedAt) {
                points.push([
                    row.mailboxId,
                    { runId: run.runId, type: run.type, endedAt: row.endedAt, status: row.status },
                ]);
            }
        }
        return points;
    });
    const byMailbox = new Map<string, RestorePoint[]>();
    for (const [mailboxId, point] of perRun.flat()) {
        const points = byMailbox.get(mailboxId) ?? [];
        points.push(point);
        byMailbox.set(mailboxId, points);
    }
    for (const points of byMailbox.values()) points.sort((a, b) => a.endedAt.localeCompare(b.endedAt));
    return byMailbox;
}

/** The latest restore point that ended at or before `asOf`; an InputError naming the oldest when there is none. */
export async function restorePointAt(storage: BackupStorage, mailboxId: string, asOf: Date): Promise<RestorePoint> {
    const points = await restorePoints(storage, mailboxId);
    const at = asOf.toISOString();
    const point = points.filter((p) => p.endedAt <= at).at(-1);
    if (point) return point;
    const oldest = points[0];
    throw new InputError(
        'asOf',
        oldest
            ? `${at}: no backup of this mailbox had completed by then; the oldest restore point is ${oldest.endedAt}`
            : `${at}: this mailbox has no completed backup in the run history`,
    );
}

async function backupRuns(storage: BackupStorage): Promise<RunEntity[]> {
    const runs: RunEntity[] = [];
    for await (const run of storage.runs.listRuns()) if (run.type !== 'verify') runs.push(run);
    return runs;
}

async function* indexRows(storage: BackupStorage, mailboxId: string, messageId?: string): AsyncIterable<MessageEntity> {
    if (messageId === undefined) {
        yield* storage.index.listMailbox(mailboxId);
        return;
    }
    const row = await storage.index.get(mailboxId, messageId);
    if (row) yield row;
}

function latestState(row: MessageEntity, folders: FolderTree): MessageAsOf | undefined {
    if (!row.sha256 || row.deletedAt) return undefined;
    return describe(row, row, row, folders);
}

async function stateAt(
    storage: BackupStorage,
    row: MessageEntity,
    cutoff: string,
    folders: FolderTree,
): Promise<MessageAsOf | undefined> {
    if (!row.sha256 || row.firstSeenAt > cutoff) return undefined;
    const placement = await placementAt(storage, row, cutoff);
    if (!placement) return undefined;
    const content = await contentAt(storage, row, cutoff);
    // Superseded before the cleanup retention: that content is no longer kept.
    if (!content) return undefined;
    return describe(row, placement, content, folders);
}

interface Placement {
    folderId: string;
    folderPath: string;
}

async function placementAt(storage: BackupStorage, row: MessageEntity, cutoff: string): Promise<Placement | undefined> {
    const since = row.placedSince || row.firstSeenAt;
    // Every earlier placement ended before `since`, so none of them covers the cutoff either.
    if (since <= cutoff) return row.deletedAt && row.deletedAt <= cutoff ? undefined : row;
    for await (const placement of storage.index.listPlacements(row.partitionKey, row.messageId)) {
        if (placement.validFrom <= cutoff && cutoff < placement.validTo) return placement;
    }
    return undefined;
}

interface Content {
    version: number;
    sha256: string;
    size: number;
    emlBlob: string;
    jsonBlob: string;
    subject?: string;
}

async function contentAt(storage: BackupStorage, row: MessageEntity, cutoff: string): Promise<Content | undefined> {
    if (row.contentSince <= cutoff) return row;
    for await (const version of storage.index.listVersions(row.partitionKey, row.messageId)) {
        if (version.validFrom <= cutoff && (!version.validTo || cutoff < version.validTo)) return version;
    }
    return undefined;
}

function describe(row: MessageEntity, placement: Placement, content: Content, folders: FolderTree): MessageAsOf {
    const folder = folders.get(placement.folderId);
    const folderPath = placement.folderPath || folder?.path || '';
    return {
        mailboxId: row.partitionKey,
        messageId: row.messageId,
        folderId: placement.folderId,
        folderPath,
        version: content.version,
        sha256: content.sha256,
        size: content.size,
        emlBlob: content.emlBlob,
        jsonBlob: content.jsonBlob,
        // Version rows written before subjects were kept have none: the latest is the best there is.
        subject: content.subject ?? row.subject,
        receivedAt: row.receivedAt,
        internetMessageId: row.internetMessageId,
        isRead: row.isRead,
        flagStatus: row.flagStatus,
        categories: parseCategories(row.categories),
        isDraft: row.isDraft,
        folderNames: folder && folder.path === folderPath ? folder.names : folderPath.split('/').filter(Boolean),
    };
}

type FolderTree = Map<string, { path: string; names: string[] }>;

/** Each folder's path and its display names from the top, as the folders table holds them now. */
async function folderTree(storage: BackupStorage, mailboxId: string): Promise<FolderTree> {
    const rows = new Map<string, FolderEntity>();
    for (const folder of await storage.folders.list(mailboxId)) rows.set(folder.folderId, folder);
    const names = (folder: FolderEntity, depth = 0): string[] => {
        const parent = rows.get(folder.parentFolderId);
        // The root folder itself is not stored; a cycle would be corrupt data, cut at any sane depth.
        const above = parent && depth < 64 ? names(parent, depth + 1) : [];
        return [...above, folder.displayName];
    };
    return new Map([...rows.values()].map((folder) => [folder.folderId, { path: folder.path, names: names(folder) }]));
}

/** A folder path compared the way --folder means it: case-insensitive, without leading or trailing '/'. */
function folderKey(path: string): string {
    return path.replace(/^\/+|\/+$/g, '').toLowerCase();
}

function isWithin(folderPath: string, prefix: string): boolean {
    const path = folderKey(folderPath);
    return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

function parseCategories(json: string): string[] {
    try {
        const parsed: unknown = JSON.parse(json || '[]');
        return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string') : [];
    } catch {
        return [];
    }
}
