import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, it } from 'vitest';

import { ContentStore } from '../../src/store/contentStore';
import { testConnectionString, uniquePrefix } from '../support/storage';

const BUFFER_LIMIT = 1024 * 1024;

function sha256(bytes: Buffer): string {
    return createHash('sha256').update(bytes).digest('hex');
}

/** `bytes` in 64 KiB chunks, as a network response arrives. */
function streamOf(bytes: Buffer): Readable {
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) chunks.push(bytes.subarray(at, at + 65_536));
    return Readable.from(chunks);
}

/** Delivers `bytesBefore` bytes, then fails the way a reset connection does. */
function failingStream(bytesBefore: number): Readable {
    let sent = 0;
    return new Readable({
        read() {
            if (sent >= bytesBefore) {
                this.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
                return;
            }
            const chunk = randomBytes(Math.min(65_536, bytesBefore - sent));
            sent += chunk.length;
            this.push(chunk);
        },
    });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks);
}

describe('ContentStore', () => {
    let container: ContainerClient;
    let content: ContentStore;

    async function blobNames(prefix = ''): Promise<string[]> {
        const names: string[] = [];
        for await (const blob of content.listBlobs(prefix)) names.push(blob.name);
        return names;
    }

    beforeAll(async () => {
        const service = BlobServiceClient.fromConnectionString(testConnectionString());
        container = service.getContainerClient(uniquePrefix());
        await container.create();
        content = new ContentStore(container, { bufferLimit: BUFFER_LIMIT });
    });

    it('stores a small message under its SHA-256, byte for byte', async () => {
        const mime = Buffer.from('From: alice@example.com\r\nSubject: hi\r\n\r\nHello\r\n');
        const stored = await content.putMime(streamOf(mime));
        const sha = sha256(mime);
        expect(stored).toEqual({
            sha256: sha,
            size: mime.length,
            blobName: `content/${sha.slice(0, 2)}/${sha}.eml`,
            created: true,
            bytesRead: mime.length,
        });
        expect((await readAll(await content.openRead(stored.blobName))).equals(mime)).toBe(true);
        const properties = await container.getBlobClient(stored.blobName).getProperties();
        expect(properties.contentType).toBe('message/rfc822');
    });

    it('stores a 10 MB message through staging and leaves nothing in staging', async () => {
        const mime = randomBytes(10 * 1024 * 1024);
        const stored = await content.putMime(streamOf(mime));
        expect(stored.sha256).toBe(sha256(mime));
        expect(stored.size).toBe(mime.length);
        expect(stored.created).toBe(true);
        // Compared by digest: a deep equality of 10 MB byte by byte takes vitest minutes.
        expect(sha256(await readAll(await content.openRead(stored.blobName)))).toBe(stored.sha256);
        expect(await blobNames('staging/')).toEqual([]);
    });

    it('goes straight to staging when the size hint is over the buffer limit', async () => {
        const mime = randomBytes(BUFFER_LIMIT + 1);
        const stored = await content.putMime(streamOf(mime), { sizeHint: mime.length });
        expect(stored.sha256).toBe(sha256(mime));
        expect(await content.exists(stored.blobName)).toBe(true);
    });

    it.each([
        ['small', 100_000],
        ['large', 3 * BUFFER_LIMIT],
    ])('stores identical %s content once', async (_label, size) => {
        const bytes = randomBytes(size);
        const first = await content.putAttachment(streamOf(bytes));
        const second = await content.putAttachment(streamOf(bytes));
        expect(first.created).toBe(true);
        expect(second).toEqual({ ...first, created: false });
        expect(first.blobName).toBe(`attachments/${first.sha256.slice(0, 2)}/${first.sha256}`);
        expect(await blobNames(first.blobName)).toEqual([first.blobName]);
        expect(await blobNames('staging/')).toEqual([]);
    });

    it.each([
        ['while buffering', BUFFER_LIMIT / 2],
        ['while streaming to staging', 3 * BUFFER_LIMIT],
    ])('rejects a source that fails %s and leaves no blob behind', async (_label, failAfter) => {
        const before = await blobNames();
        await expect(content.putMime(failingStream(failAfter))).rejects.toThrow(/ECONNRESET/);
        expect(await blobNames()).toEqual(before);
    });

    it('stores the JSON document of a content once', async () => {
        const sha = 'a1'.repeat(32);
        const first = await content.putJson(sha, { subject: 'first' });
        const second = await content.putJson(sha, { subject: 'second' });
        expect(first).toEqual({ blobName: `content/a1/${sha}.json`, size: 19, created: true });
        expect(second.created).toBe(false);
        expect(JSON.parse((await readAll(await content.openRead(first.blobName))).toString())).toEqual({
            subject: 'first',
        });
        await expect(content.putJson('../escape', {})).rejects.toThrow(/SHA-256/);
    });

    it('lists and deletes blobs, a missing one included', async () => {
        const stored = await content.putAttachment(streamOf(Buffer.from('to be deleted')));
        const [listed] = await collectBlobs(content.listBlobs(stored.blobName));
        expect(listed?.size).toBe(13);
        expect(listed?.lastModified).toBeInstanceOf(Date);
        await content.deleteBlob(stored.blobName);
        await content.deleteBlob(stored.blobName);
        expect(await content.exists(stored.blobName)).toBe(false);
    });
});

async function collectBlobs<T>(items: AsyncIterable<T>): Promise<T[]> {
    const all: T[] = [];
    for await (const item of items) all.push(item);
    return all;
}
