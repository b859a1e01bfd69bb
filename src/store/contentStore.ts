/**
 * Content-addressed blobs: a blob's name is the SHA-256 of its bytes, so the same content is stored once
 * however many mailboxes, folders or runs hold it.
 *
 * Layout of the container (sha = lowercase hex SHA-256 of the blob's bytes; xx = its first two characters,
 * which spread names over 256 prefixes):
 *   content/xx/<sha>.eml    the exact MIME bytes Graph served for a message (message/rfc822)
 *   content/xx/<sha>.json   a JSON document derived from content/xx/<sha>.eml; the first one written for
 *                           a sha stays (application/json)
 *   attachments/xx/<sha>    the bytes of a file attachment (application/octet-stream)
 *   staging/<uuid>          temporary: large content while its hash is not known yet
 *
 * Invariant: a blob under content/ or attachments/ exists only complete and only with the bytes its name
 * says. It is created by a single Put Blob (content up to `bufferLimit`) or a single Copy Blob From URL
 * from a committed staging blob (larger content); both are atomic, and both are conditional
 * (If-None-Match: *), so an existing blob is never rewritten. Hence an index row written after put*
 * resolves never points at a missing or half-written blob. Partial data only ever lives in staging/:
 * uncommitted blocks, which the service discards after 7 days, or, after a crash between upload and
 * delete, a committed staging blob that cleanup may delete by age.
 *
 * Reuse: a put that finds its blob already there marks it (Set Blob Metadata `reusedat`, which changes its
 * ETag and Last-Modified) unless it was modified within REUSE_MARK_AGE_MS, and returns only then. Cleanup
 * deletes an unreferenced blob only while its ETag is the one it listed (If-Match), so a blob a backup is
 * about to name again is never deleted from under it; see cleanup.ts for the whole argument.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';

import type { BlobHTTPHeaders, BlockBlobClient, ContainerClient } from '@azure/storage-blob';

import { copySource } from './copySource';
import { hasStatus, isBlobAlreadyPresent, isNotFound } from './storageErrors';

export interface StoredContent {
    sha256: string;
    size: number;
    blobName: string;
    /** False when identical content was already stored (deduplicated). */
    created: boolean;
    bytesRead: number;
}

export interface ContentStoreOptions {
    /** Content up to this many bytes is buffered and stored in one request; larger goes through staging/. */
    bufferLimit?: number;
    /** The clock reuse ages are measured against: the real one outside tests. */
    now?: () => Date;
}

export interface ListedBlob {
    name: string;
    size: number;
    lastModified: Date;
    /** Identifies this state of the blob: any write (a reuse mark included) changes it. */
    etag: string;
    /** A lease is held on it right now (lock blobs, mailboxLocks.ts). */
    leased: boolean;
}

/**
 * A reused blob modified longer ago than this is marked. Each mark is a write, and where versioning is on
 * also a new blob version, so a blob reused by every message of a busy day is marked about once a day.
 * Cleanup's grace period must exceed it by the longest a backup takes from a put to the index row naming
 * the blob (cleanup.ts).
 */
export const REUSE_MARK_AGE_MS = 24 * 60 * 60 * 1000;

const DEFAULT_BUFFER_LIMIT = 4 * 1024 * 1024;
// Staging uploads hold at most BLOCK_SIZE × UPLOAD_CONCURRENCY in memory (plus the stream's own buffer).
const BLOCK_SIZE = 4 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 2;
// Copy Blob From URL copies at most 256 MiB; Exchange limits a message to 150 MB.
// https://learn.microsoft.com/rest/api/storageservices/copy-blob-from-url
const MAX_COPY_BYTES = 256 * 1024 * 1024;
// A put whose blob is deleted between finding it present and marking it stores it again, this many times.
const CREATE_ATTEMPTS = 3;
// A download stream that breaks is resumed from where it broke, this many times.
const DOWNLOAD_RESUMES = 3;
const SHA256 = /^[0-9a-f]{64}$/;

const EML: BlobHTTPHeaders = { blobContentType: 'message/rfc822' };
const JSON_DOCUMENT: BlobHTTPHeaders = { blobContentType: 'application/json; charset=utf-8' };
const BYTES: BlobHTTPHeaders = { blobContentType: 'application/octet-stream' };

export class ContentStore {
    private readonly bufferLimit: number;
    private readonly now: () => Date;

    constructor(
        private readonly container: ContainerClient,
        options: ContentStoreOptions = {},
    ) {
        this.bufferLimit = options.bufferLimit ?? DEFAULT_BUFFER_LIMIT;
        this.now = options.now ?? (() => new Date());
    }

    /** Stores a message's MIME. `sizeHint` above the buffer limit skips buffering. */
    putMime(source: Readable, hint: { sizeHint?: number } = {}): Promise<StoredContent> {
        return this.put(source, (sha) => `content/${sha.slice(0, 2)}/${sha}.eml`, EML, hint.sizeHint);
    }

    putAttachment(source: Readable): Promise<StoredContent> {
        return this.put(source, (sha) => `attachments/${sha.slice(0, 2)}/${sha}`, BYTES);
    }

    /** Stores the JSON document of the content with this sha256 at content/xx/<sha>.json, unless one is there. */
    async putJson(sha256: string, document: unknown): Promise<{ blobName: string; size: number; created: boolean }> {
        if (!SHA256.test(sha256)) throw new Error(`Not a lowercase hex SHA-256: ${sha256}`);
        const blobName = `content/${sha256.slice(0, 2)}/${sha256}.json`;
        const bytes = Buffer.from(JSON.stringify(document), 'utf8');
        const created = await this.createOnce(this.container.getBlockBlobClient(blobName), bytes, JSON_DOCUMENT);
        return { blobName, size: bytes.length, created };
    }

    exists(blobName: string): Promise<boolean> {
        return this.container.getBlobClient(blobName).exists();
    }

    async openRead(blobName: string): Promise<NodeJS.ReadableStream> {
        const response = await this.container
            .getBlobClient(blobName)
            .download(0, undefined, { maxRetryRequests: DOWNLOAD_RESUMES });
        if (!response.readableStreamBody) throw new Error(`Download of ${blobName} returned no body`);
        return response.readableStreamBody;
    }

    async *listBlobs(prefix: string): AsyncIterable<ListedBlob> {
        for await (const blob of this.container.listBlobsFlat({ prefix })) {
            yield {
                name: blob.name,
                size: blob.properties.contentLength ?? 0,
                lastModified: blob.properties.lastModified,
                etag: blob.properties.etag,
                leased: blob.properties.leaseState === 'leased',
            };
        }
    }

    /**
     * Deletes a blob only if it is still as listed with `etag`. False when it was not deleted: written since
     * (a backup reused it), or already gone.
     */
    async deleteIfUnchanged(blobName: string, etag: string): Promise<boolean> {
        // Listings give the ETag bare; HTTP (and so If-Match) quotes it.
        const ifMatch = etag.startsWith('"') ? etag : `"${etag}"`;
        try {
            const result = await this.container.getBlobClient(blobName).deleteIfExists({ conditions: { ifMatch } });
            return result.succeeded;
        } catch (error) {
            // Azurite answers 412 for a blob that is gone as well as for one that changed.
            if (hasStatus(error, 412)) return false;
            throw error;
        }
    }

    /** Deletes a blob; one already gone is fine. */
    async deleteBlob(blobName: string): Promise<void> {
        await this.container.getBlobClient(blobName).deleteIfExists();
    }

    /**
     * Hashes while reading. Up to the buffer limit the content is kept in memory and stored with one
     * request; beyond it, what was read so far and the rest of the stream are uploaded to staging/.
     */
    private async put(
        source: Readable,
        nameFor: (sha: string) => string,
        headers: BlobHTTPHeaders,
        sizeHint?: number,
    ): Promise<StoredContent> {
        const digest = new Digest();
        const chunks = source[Symbol.asyncIterator]() as AsyncIterator<unknown>;
        const head: Buffer[] = [];
        if (sizeHint === undefined || sizeHint <= this.bufferLimit) {
            while (digest.bytes <= this.bufferLimit) {
                const next = await chunks.next();
                if (next.done) return this.putBuffered(Buffer.concat(head), digest, nameFor, headers);
                head.push(digest.add(next.value));
            }
        }
        return this.putStaged(Readable.from(remainder(head, chunks, digest)), digest, nameFor, headers);
    }

    private async putBuffered(
        bytes: Buffer,
        digest: Digest,
        nameFor: (sha: string) => string,
        headers: BlobHTTPHeaders,
    ): Promise<StoredContent> {
        const sha256 = digest.hex();
        const blobName = nameFor(sha256);
        const created = await this.createOnce(this.container.getBlockBlobClient(blobName), bytes, headers);
        return { sha256, size: bytes.length, blobName, created, bytesRead: digest.bytes };
    }

    /**
     * Uploads to staging/<uuid> (blocks, committed once the stream ends), then copies server-side to the
     * final name unless that already exists, then deletes the staging blob. The bytes cross the network
     * once (the copy happens inside the service), and memory stays at a few blocks whatever the size.
     */
    private async putStaged(
        body: Readable,
        digest: Digest,
        nameFor: (sha: string) => string,
        headers: BlobHTTPHeaders,
    ): Promise<StoredContent> {
        const staging = this.container.getBlockBlobClient(`staging/${randomUUID()}`);
        try {
            await staging.uploadStream(body, BLOCK_SIZE, UPLOAD_CONCURRENCY, { blobHTTPHeaders: headers });
            if (digest.bytes > MAX_COPY_BYTES) {
                throw new Error(`Content of ${digest.bytes} bytes exceeds the ${MAX_COPY_BYTES}-byte copy limit`);
            }
            const sha256 = digest.hex();
            const blobName = nameFor(sha256);
            const created = await this.copyOnce(staging, this.container.getBlockBlobClient(blobName));
            return { sha256, size: digest.bytes, blobName, created, bytesRead: digest.bytes };
        } finally {
            // A failed upload leaves the source paused; destroying the body releases it (and its connection).
            body.destroy();
            await deleteStaging(staging);
        }
    }

    /** Put Blob, only if no blob has the name. Returns false when one had (now marked reused). */
    private createOnce(blob: BlockBlobClient, bytes: Buffer, headers: BlobHTTPHeaders): Promise<boolean> {
        return this.createOrReuse(blob, () =>
            blob.upload(bytes, bytes.length, { blobHTTPHeaders: headers, conditions: { ifNoneMatch: '*' } }),
        );
    }

    private async copyOnce(staging: BlockBlobClient, target: BlockBlobClient): Promise<boolean> {
        const { url, sourceAuthorization } = await copySource(staging);
        return this.createOrReuse(target, () =>
            target.syncCopyFromURL(url, { sourceAuthorization, conditions: { ifNoneMatch: '*' } }),
        );
    }

    /** A conditional create; true when it created the blob, false when the blob was there and is marked reused. */
    private async createOrReuse(blob: BlockBlobClient, create: () => Promise<unknown>): Promise<boolean> {
        for (let attempt = 1; ; attempt++) {
            try {
                await create();
                return true;
            } catch (error) {
                if (!isBlobAlreadyPresent(error)) throw error;
            }
            if (await this.markReused(blob)) return false;
            if (attempt === CREATE_ATTEMPTS) throw new Error(`${blob.name} was deleted each time it was stored`);
        }
    }

    /**
     * Marks a blob found present (see the header), unless it was modified within REUSE_MARK_AGE_MS:
     * If-Unmodified-Since makes that one request. False when the blob is gone (cleanup deleted it since).
     */
    private async markReused(blob: BlockBlobClient): Promise<boolean> {
        const now = this.now();
        const markedBefore = new Date(now.getTime() - REUSE_MARK_AGE_MS);
        try {
            await blob.setMetadata(
                { reusedat: now.toISOString() },
                { conditions: { ifUnmodifiedSince: markedBefore } },
            );
            return true;
        } catch (error) {
            if (hasStatus(error, 412)) return true; // modified lately: young enough for cleanup to leave it
            if (isNotFound(error)) return false;
            throw error;
        }
    }
}

/** SHA-256 and byte count of everything passed through `add`. */
class Digest {
    private readonly hash = createHash('sha256');
    bytes = 0;

    add(chunk: unknown): Buffer {
        const bytes = toBuffer(chunk);
        this.hash.update(bytes);
        this.bytes += bytes.length;
        return bytes;
    }

    hex(): string {
        return this.hash.digest('hex');
    }
}

/** The chunks already read, then the rest of the source, hashing as it goes. */
async function* remainder(head: Buffer[], chunks: AsyncIterator<unknown>, digest: Digest): AsyncGenerator<Buffer> {
    try {
        yield* head;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield digest.add(next.value);
    } finally {
        // Ends the source when the upload stops early (failure), so its connection is not left open.
        await chunks.return?.();
    }
}

function toBuffer(chunk: unknown): Buffer {
    if (Buffer.isBuffer(chunk)) return chunk;
    if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
    if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    throw new TypeError('Content streams must yield bytes');
}

/**
 * Best effort: the content is already safe (or the put already failed with its own error). A staging blob
 * left behind is harmless, and cleanup removes staging/ blobs past its grace of three days.
 */
async function deleteStaging(staging: BlockBlobClient): Promise<void> {
    try {
        await staging.deleteIfExists();
    } catch {
        // Nothing to record: see above.
    }
}
