/**
 * Snapshots of a mailbox's index partitions, kept in the backup's blob container so that its versioning,
 * soft delete and immutability protect the tables' contents as they protect the mail. The format and the
 * choice of full and incremental snapshots are described in docs/table-snapshots.md.
 *
 *   snapshots/<mailbox id>/<taken>-full-<rand>.jsonl.gz     every row of the mailbox's partitions
 *   snapshots/<mailbox id>/<taken>-changes-<rand>.jsonl.gz  rows written since the previous snapshot
 *
 * <taken> is when the snapshot started reading, `20261207T225012345Z` (UTC, sorts by time); <rand> four
 * hex digits. A blob is gzip of JSON Lines: a header line (SnapshotHeader), then one SnapshotLine per row.
 *
 * "Written since" is the tables' own Timestamp, which the service sets on every write, so a snapshot
 * needs nothing from the code that wrote the rows. A deleted row leaves no trace there: every delete of
 * index rows (cleanup) is followed by a full snapshot, and a backup deletes none.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

import { odata, type TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';

import { BackupError } from '../common/errors';
import { listRows, type TableRow, upsertRows } from './tableRows';

/** Restored in this order: a message row last, after the rows it relies on (indexWriter.ts). */
export const SNAPSHOT_TABLES = ['folders', 'placements', 'attachments', 'versions', 'messages'] as const;
export type SnapshotTable = (typeof SNAPSHOT_TABLES)[number];
export type SnapshotTables = Record<SnapshotTable, TableClient>;
export type SnapshotKind = 'full' | 'changes';

export interface SnapshotHeader {
    snapshot: 'mail-backup index';
    format: 1;
    mailboxId: string;
    kind: SnapshotKind;
    takenAt: string;
    /** Changes: rows whose Timestamp is at or after this; '' in a full snapshot. */
    since: string;
}

export interface SnapshotLine {
    table: SnapshotTable;
    row: TableRow & Record<string, unknown>;
}

export interface TakenSnapshot {
    name: string;
    kind: SnapshotKind;
    takenAt: Date;
    rows: number;
}

export interface SnapshotBlob {
    name: string;
    kind: SnapshotKind;
    takenAt: Date;
    size: number;
}

const PREFIX = 'snapshots/';
const NAME = /^(\d{8})T(\d{2})(\d{2})(\d{2})(\d{3})Z-(full|changes)-[0-9a-f]{4}\.jsonl\.gz$/;
/**
 * A changes snapshot starts this long before the previous one started. Both times are the service's (a
 * snapshot's start is the Date of the blob service's answer, to the second; Timestamp the table service's),
 * so this only covers the Date's rounding and the two services' clocks. Rows read twice are harmless: the
 * later copy wins, and it is the same row.
 */
const CLOCK_MARGIN_MS = 60_000;
/** A full snapshot is taken instead once the changes since the last full add up to this share of it... */
const CHANGES_SHARE_FOR_FULL = 0.5;
/** ...or number this many, so a rebuild reads a bounded chain. */
const MAX_CHANGES = 100;
const BLOCK_SIZE = 4 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 2;
/** Rows a restore holds per table before writing them. */
const RESTORE_BATCH = 1_000;

export class IndexSnapshots {
    constructor(
        private readonly tables: SnapshotTables,
        private readonly container: ContainerClient,
    ) {}

    /**
     * Writes a snapshot of the mailbox's partitions: only the rows written since its latest snapshot, or
     * every row when `full` is asked for, when it has none yet, or when the changes since its latest full
     * snapshot have grown past CHANGES_SHARE_FOR_FULL of it or MAX_CHANGES snapshots. The bytes stream
     * from the tables through gzip into the blob: memory stays at a few blocks whatever the mailbox's size.
     * The start is the service's clock, not ours (which may be off): it is compared with Timestamps.
     */
    async take(mailboxId: string, options: { full?: boolean } = {}): Promise<TakenSnapshot> {
        const snapshots = await this.list(mailboxId);
        const kind: SnapshotKind = options.full || fullDue(chainOf(snapshots)) ? 'full' : 'changes';
        const latest = snapshots.at(-1);
        const serviceNow = (await this.container.getProperties()).date ?? new Date();
        // The Date is to the second: a snapshot right after another still sorts after it.
        const takenAt = latest && serviceNow <= latest.takenAt ? new Date(latest.takenAt.getTime() + 1) : serviceNow;
        const since = kind === 'changes' && latest ? new Date(latest.takenAt.getTime() - CLOCK_MARGIN_MS) : undefined;
        const header: SnapshotHeader = {
            snapshot: 'mail-backup index',
            format: 1,
            mailboxId,
            kind,
            takenAt: takenAt.toISOString(),
            since: since?.toISOString() ?? '',
        };
        const name = `${PREFIX}${mailboxId}/${compact(takenAt)}-${kind}-${randomBytes(2).toString('hex')}.jsonl.gz`;
        const counted = { rows: 0 };
        const gzip = createGzip();
        const upload = this.container
            .getBlockBlobClient(name)
            .uploadStream(gzip, BLOCK_SIZE, UPLOAD_CONCURRENCY, {
                blobHTTPHeaders: { blobContentType: 'application/gzip' },
            })
            .catch((error: unknown) => {
                // Stops the reading side too, instead of leaving it waiting on a stream no one reads.
                gzip.destroy(error instanceof Error ? error : new Error(String(error)));
                throw error;
            });
        await Promise.all([pipeline(Readable.from(this.lines(header, since, counted)), gzip), upload]);
        return { name, kind, takenAt, rows: counted.rows };
    }

    /** The mailbox's snapshots, oldest first. */
    async list(mailboxId: string): Promise<SnapshotBlob[]> {
        const snapshots: SnapshotBlob[] = [];
        for await (const blob of this.container.listBlobsFlat({ prefix: `${PREFIX}${mailboxId}/` })) {
            const parsed = parseName(blob.name.slice(PREFIX.length + mailboxId.length + 1));
            if (parsed) snapshots.push({ name: blob.name, ...parsed, size: blob.properties.contentLength ?? 0 });
        }
        return snapshots.sort((a, b) => a.name.localeCompare(b.name));
    }

    /** What a rebuild reads: the latest full snapshot and the changes after it; [] when there is no full one. */
    async chain(mailboxId: string): Promise<SnapshotBlob[]> {
        return chainOf(await this.list(mailboxId));
    }

    /** Mailboxes with at least one snapshot. */
    async listMailboxes(): Promise<string[]> {
        const ids: string[] = [];
        for await (const item of this.container.listBlobsByHierarchy('/', { prefix: PREFIX })) {
            if (item.kind === 'prefix') ids.push(item.name.slice(PREFIX.length, -1));
        }
        return ids;
    }

    /** Deletes the mailbox's snapshots taken before `before` that a later full snapshot supersedes. */
    async prune(mailboxId: string, before: Date): Promise<number> {
        const snapshots = await this.list(mailboxId);
        const superseded = snapshots.slice(0, snapshots.map((s) => s.kind).lastIndexOf('full'));
        const expired = superseded.filter((s) => s.takenAt < before);
        for (const snapshot of expired) await this.container.getBlobClient(snapshot.name).deleteIfExists();
        return expired.length;
    }

    /**
     * Writes the rows of the mailbox's chain back into the tables (upsert: a row in the snapshots replaces
     * the row with its keys; rows the snapshots do not hold are left as they are). Returns rows per table.
     */
    async restore(mailboxId: string, chain: SnapshotBlob[]): Promise<Record<SnapshotTable, number>> {
        const written = Object.fromEntries(SNAPSHOT_TABLES.map((t) => [t, 0])) as Record<SnapshotTable, number>;
        const pending = new Map<SnapshotTable, SnapshotLine['row'][]>(SNAPSHOT_TABLES.map((t) => [t, []]));
        const flush = async () => {
            for (const table of SNAPSHOT_TABLES) {
                const rows = pending.get(table) ?? [];
                await upsertRows(this.tables[table], mailboxId, rows);
                written[table] += rows.length;
                pending.set(table, []);
            }
        };
        for (const snapshot of chain) {
            for await (const line of this.read(snapshot, mailboxId)) {
                const rows = pending.get(line.table) ?? [];
                rows.push(line.row);
                pending.set(line.table, rows);
                if (rows.length >= RESTORE_BATCH) await flush();
            }
        }
        await flush();
        return written;
    }

    /** A snapshot's rows, after checking that its header is one we wrote for this mailbox. */
    private async *read(snapshot: SnapshotBlob, mailboxId: string): AsyncIterable<SnapshotLine> {
        const download = await this.container.getBlobClient(snapshot.name).download();
        if (!download.readableStreamBody) throw new Error(`Download of ${snapshot.name} returned no body`);
        const gunzip = createGunzip();
        // Settles to the error, if any, so that stopping early (a bad line) leaves no rejection unhandled.
        const unzipped = pipeline(download.readableStreamBody, gunzip).then(
            () => undefined,
            (error: unknown) => error,
        );
        let header: SnapshotHeader | undefined;
        let complete = false;
        try {
            for await (const text of createInterface({ input: gunzip, crlfDelay: Infinity })) {
                if (!text) continue;
                if (header) {
                    yield parseLine(text, snapshot.name, mailboxId);
                    continue;
                }
                header = parseJson(text, snapshot.name) as SnapshotHeader;
                if (header.snapshot !== 'mail-backup index' || header.format !== 1 || header.mailboxId !== mailboxId) {
                    throw unreadable(snapshot.name, `not a format 1 index snapshot of mailbox ${mailboxId}`);
                }
            }
            complete = true;
        } catch (error) {
            throw notGzip(error, snapshot.name);
        } finally {
            if (!complete) gunzip.destroy();
        }
        const error = await unzipped;
        if (error !== undefined) throw notGzip(error, snapshot.name);
        if (!header) throw unreadable(snapshot.name, 'empty');
    }

    private async *lines(header: SnapshotHeader, since: Date | undefined, counted: { rows: number }) {
        yield `${JSON.stringify(header)}\n`;
        const partition = odata`PartitionKey eq ${header.mailboxId}`;
        const filter = since ? `${partition} and ${odata`Timestamp ge ${since}`}` : partition;
        for (const table of SNAPSHOT_TABLES) {
            for await (const row of listRows<SnapshotLine['row']>(this.tables[table], filter)) {
                counted.rows++;
                yield `${JSON.stringify({ table, row } satisfies SnapshotLine)}\n`;
            }
        }
    }
}

function chainOf(snapshots: SnapshotBlob[]): SnapshotBlob[] {
    const full = snapshots.map((s) => s.kind).lastIndexOf('full');
    return full < 0 ? [] : snapshots.slice(full);
}

function fullDue(chain: SnapshotBlob[]): boolean {
    const [full, ...changes] = chain;
    if (!full) return true;
    const changed = changes.reduce((sum, s) => sum + s.size, 0);
    return changes.length >= MAX_CHANGES || changed >= full.size * CHANGES_SHARE_FOR_FULL;
}

function parseLine(text: string, blobName: string, mailboxId: string): SnapshotLine {
    const line = parseJson(text, blobName) as Partial<SnapshotLine>;
    const table = SNAPSHOT_TABLES.find((t) => t === line.table);
    const row = line.row;
    if (!table || !row || row.partitionKey !== mailboxId || typeof row.rowKey !== 'string') {
        throw unreadable(blobName, `a line that is not a row of mailbox ${mailboxId}'s index`);
    }
    return { table, row };
}

function parseJson(text: string, blobName: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        throw unreadable(blobName, 'a line that is not JSON');
    }
}

/** A gzip error as an unreadable snapshot; any other error as it is. */
function notGzip(error: unknown, blobName: string): unknown {
    const code = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? '') : '';
    return code.startsWith('Z_') ? unreadable(blobName, `not gzip: ${(error as Error).message}`) : error;
}

/** What to do about a damaged snapshot: rebuild from the ones before it. */
function unreadable(blobName: string, detail: string): BackupError {
    return new BackupError(
        `${blobName} cannot be read as an index snapshot (${detail}); move it out of snapshots/ (it stays as a ` +
            `blob version where versioning is on) and run rebuild-index again to use the snapshots before it`,
    );
}

/** `2026-12-07T22:50:12.345Z` → `20261207T225012345Z`. */
function compact(date: Date): string {
    return date.toISOString().replace(/[-:.]/g, '');
}

function parseName(name: string): { kind: SnapshotKind; takenAt: Date } | undefined {
    const match = NAME.exec(name);
    if (!match) return undefined;
    const [, day = '', hours, minutes, seconds, ms, kind] = match;
    const iso = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T${hours}:${minutes}:${seconds}.${ms}Z`;
    return { kind: kind as SnapshotKind, takenAt: new Date(iso) };
}
