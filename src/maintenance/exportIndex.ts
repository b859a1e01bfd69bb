/**
 * `export-index`: the checksum index as one JSON document, for inspection or for a program that reads
 * the backup without our code.
 *
 *   {
 *     "exportedAt": ISO 8601,
 *     "mailboxes": [
 *       {
 *         "mailboxId": Entra object id (the partition key of its rows),
 *         "userPrincipalName": from the latest run that recorded the mailbox, '' when none remains,
 *         "folders": [ { "id", "path", "lastSyncedAt", "removedAt" } ]         by path,
 *         "messages": [ MessageEntity without partitionKey and rowKey ]      by row key
 *       }
 *     ]
 *   }
 * Every mailbox the index holds messages of is listed; each folder and message is one line.
 *
 * The document is streamed: memory stays at one message row whatever the index holds. It is written
 * to a temporary file beside the target and renamed over it only once complete, so a failed export
 * never leaves a half-written file under the target's name. The file is created 0600, readable by its
 * owner only (every message's subject and sender is in it; a umask can only narrow that).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

import type { FolderEntity, MessageEntity } from '../store/entities';
import type { BackupStorage } from '../store/storage';
import { listRunsNewestFirst, userPrincipalNames } from './stats';

export interface ExportSummary {
    mailboxes: number;
    messages: number;
}

export type ExportedFolder = { id: string } & Pick<FolderEntity, 'path' | 'lastSyncedAt' | 'removedAt'>;
export type ExportedMessage = Omit<MessageEntity, 'partitionKey' | 'rowKey'>;

export async function exportIndex(
    storage: BackupStorage,
    outPath: string,
    options: { now: Date },
): Promise<ExportSummary> {
    const summary: ExportSummary = { mailboxes: 0, messages: 0 };
    // Same directory, so the rename cannot cross file systems.
    const temporary = path.join(
        path.dirname(outPath),
        `.${path.basename(outPath)}.${randomBytes(4).toString('hex')}.tmp`,
    );
    try {
        // flush: the data reaches the disk before the rename makes it the export.
        await pipeline(
            indexJson(storage, options.now, summary),
            createWriteStream(temporary, { flush: true, mode: 0o600 }),
        );
        await rename(temporary, outPath);
    } catch (error) {
        await rm(temporary, { force: true });
        throw error;
    }
    return summary;
}

/** The export document in pieces; counts what it wrote into `summary`. */
export async function* indexJson(storage: BackupStorage, now: Date, summary: ExportSummary): AsyncGenerator<string> {
    const mailboxIds = await storage.index.listMailboxIds();
    const newestFirst = await listRunsNewestFirst(storage.runs);
    const names = await userPrincipalNames(
        storage.runs,
        newestFirst.map((run) => run.runId),
        mailboxIds,
    );
    yield `{\n  "exportedAt": ${JSON.stringify(now.toISOString())},\n  "mailboxes": [`;
    for (const [i, mailboxId] of mailboxIds.entries()) {
        yield `${i === 0 ? '' : ','}\n    {`;
        yield `\n      "mailboxId": ${JSON.stringify(mailboxId)},`;
        yield `\n      "userPrincipalName": ${JSON.stringify(names.get(mailboxId) ?? '')},`;
        yield `\n      "folders": `;
        yield* jsonArray(listFolders(storage, mailboxId));
        yield `,\n      "messages": `;
        yield* jsonArray(listMessages(storage, mailboxId, summary));
        yield `\n    }`;
        summary.mailboxes++;
    }
    yield `${mailboxIds.length === 0 ? '' : '\n  '}]\n}\n`;
}

async function* listFolders(storage: BackupStorage, mailboxId: string): AsyncGenerator<ExportedFolder> {
    const folders = await storage.folders.list(mailboxId);
    folders.sort((a, b) => a.path.localeCompare(b.path));
    for (const folder of folders) {
        yield {
            id: folder.folderId,
            path: folder.path,
            lastSyncedAt: folder.lastSyncedAt,
            removedAt: folder.removedAt,
        };
    }
}

async function* listMessages(
    storage: BackupStorage,
    mailboxId: string,
    summary: ExportSummary,
): AsyncGenerator<ExportedMessage> {
    for await (const row of storage.index.listMailbox(mailboxId)) {
        const { partitionKey: _partitionKey, rowKey: _rowKey, ...message } = row;
        summary.messages++;
        yield message;
    }
}

/** A JSON array with one element per line, at the indentation of a mailbox's properties. */
async function* jsonArray(items: AsyncIterable<unknown>): AsyncGenerator<string> {
    let first = true;
    for await (const item of items) {
        yield `${first ? '[' : ','}\n        ${JSON.stringify(item)}`;
        first = false;
    }
    yield first ? '[]' : '\n      ]';
}
