import { Readable } from 'node:stream';

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { cleanup } from '../../src/maintenance/cleanup';
import { ContentStore } from '../../src/store/contentStore';
import { emptyCounters, type MessageEntity, type RunStatus } from '../../src/store/entities';
import { type BackupStorage, openStorage } from '../../src/store/storage';
import { attachmentRowKey, toTableKey, versionRowKey } from '../../src/store/tableKeys';
import { createHarness, type Harness } from '../support/harness';
import { testConnectionString, uniquePrefix } from '../support/storage';
import { expectBackupMatches } from '../support/truth';
import { Rng } from '../sim/model/rng';

const DAY_MS = 24 * 60 * 60 * 1000;
// Blobs are written now by the real clock; cleanup runs "ten days later" so they are past its grace period.
const LATER = new Date(Date.now() + 10 * DAY_MS);
const RETENTION_DAYS = 30;

function daysBefore(days: number, now = LATER): string {
    return new Date(now.getTime() - days * DAY_MS).toISOString();
}

let storage: BackupStorage;
let prefix: string;

interface MessageHistory {
    id: string;
    /** Content of each version, oldest first, with when it was backed up. */
    versions: { body: string; at: string }[];
    attachments?: string[];
    deletedAt?: string;
}

interface Stored {
    row: MessageEntity;
    /** Blob names of every version and attachment, oldest first. */
    blobs: string[];
}

/** Writes a message's history the way a backup does: blobs first, then versions, attachments, message row. */
async function backUp(mailboxId: string, message: MessageHistory, into = storage): Promise<Stored> {
    const writer = into.index.writer(mailboxId);
    const blobs: string[] = [];
    let row: MessageEntity | undefined;
    for (const [i, version] of message.versions.entries()) {
        // The same text gives the same bytes, whichever message holds it: content is stored once.
        const mime = `Subject: ${version.body}\r\n\r\n${version.body}\r\n`;
        const eml = await into.content.putMime(Readable.from([Buffer.from(mime)]));
        const json = await into.content.putJson(eml.sha256, { subject: version.body });
        blobs.push(eml.blobName, json.blobName);
        const number = i + 1;
        row = messageRow(mailboxId, message, { number, at: version.at, eml: eml.blobName, json: json.blobName });
        row.sha256 = eml.sha256;
        row.size = eml.size;
        writer.upsertVersion({
            partitionKey: mailboxId,
            rowKey: versionRowKey(message.id, number),
            messageId: message.id,
            version: number,
            sha256: eml.sha256,
            size: eml.size,
            changeKey: `ck${number}`,
            emlBlob: eml.blobName,
            jsonBlob: json.blobName,
            validFrom: version.at,
            validTo: message.versions[i + 1]?.at ?? '',
        });
    }
    for (const [i, content] of (message.attachments ?? []).entries()) {
        const put = await into.content.putAttachment(Readable.from([Buffer.from(content)]));
        blobs.push(put.blobName);
        writer.upsertAttachment({
            partitionKey: mailboxId,
            rowKey: attachmentRowKey(message.id, `att${i}`),
            messageId: message.id,
            attachmentId: `att${i}`,
            name: `file${i}.txt`,
            contentType: 'text/plain',
            size: put.size,
            isInline: false,
            sha256: put.sha256,
            blob: put.blobName,
        });
    }
    if (!row) throw new Error('a message has at least one version');
    writer.upsertMessage(row);
    await writer.flush();
    return { row, blobs };
}

function messageRow(
    mailboxId: string,
    message: MessageHistory,
    version: { number: number; at: string; eml: string; json: string },
): MessageEntity {
    const firstSeenAt = message.versions[0]?.at ?? version.at;
    return {
        partitionKey: mailboxId,
        rowKey: toTableKey(message.id),
        messageId: message.id,
        sha256: '',
        size: 0,
        changeKey: `ck${version.number}`,
        folderId: 'inbox',
        folderPath: 'Inbox',
        subject: message.id,
        sender: 'someone@example.com',
        receivedAt: firstSeenAt,
        internetMessageId: `<${message.id}>`,
        isRead: false,
        flagStatus: 'notFlagged',
        categories: '[]',
        isDraft: false,
        emlBlob: version.eml,
        jsonBlob: version.json,
        attachmentCount: message.attachments?.length ?? 0,
        version: version.number,
        contentSince: version.at,
        firstSeenAt,
        lastSeenAt: message.deletedAt ?? version.at,
        deletedAt: message.deletedAt ?? '',
    };
}

async function recordRun(startedAt: string, endedAt: string, status: RunStatus, mailboxIds: string[]): Promise<string> {
    const run = await storage.runs.startRun({ type: 'incremental', trigger: 'test', now: new Date(startedAt) });
    await storage.runs.updateRun({ ...run, endedAt, status });
    for (const mailboxId of mailboxIds) {
        await storage.runs.recordMailbox({
            ...emptyCounters(),
            partitionKey: run.runId,
            rowKey: mailboxId,
            mailboxId,
            userPrincipalName: `${mailboxId}@contoso.com`,
            status: 'succeeded',
            reason: '',
            startedAt,
            endedAt,
            failedItems: '[]',
        });
    }
    return run.runId;
}

async function blobExists(name: string): Promise<boolean> {
    return storage.content.exists(name);
}

async function listBlobNames(store: BackupStorage): Promise<string[]> {
    const names: string[] = [];
    for (const blobPrefix of ['content/', 'attachments/', 'staging/']) {
        for await (const blob of store.content.listBlobs(blobPrefix)) names.push(blob.name);
    }
    return names;
}

function testContainer(): ContainerClient {
    return BlobServiceClient.fromConnectionString(testConnectionString()).getContainerClient(prefix);
}

/** A blob left in staging/ by a backup that crashed between its upload and its copy. */
async function leaveStagingBlob(): Promise<string> {
    const name = `staging/${uniquePrefix()}`;
    await testContainer().getBlockBlobClient(name).upload('partial', 7);
    return name;
}

/**
 * What a restore needs of every message still in its mailbox: its current version row and every blob its
 * message, version and attachment rows name.
 */
async function expectEveryCurrentMessageRestorable(store: BackupStorage): Promise<number> {
    let checked = 0;
    for await (const message of store.index.listAll()) {
        if (message.deletedAt) continue;
        const versions = [];
        for await (const version of store.index.listVersions(message.partitionKey, message.messageId)) {
            versions.push(version);
        }
        const current = versions.find((version) => version.version === message.version);
        expect(current, `current version of ${message.messageId}`).toMatchObject({ validTo: '' });
        const names = [message.emlBlob, message.jsonBlob, ...versions.flatMap((v) => [v.emlBlob, v.jsonBlob])];
        for await (const attachment of store.index.listAttachments(message.partitionKey, message.messageId)) {
            names.push(attachment.blob);
        }
        for (const name of names.filter(Boolean)) expect(await store.content.exists(name), name).toBe(true);
        checked++;
    }
    return checked;
}

describe('cleanup of an index', () => {
    beforeEach(async () => {
        prefix = uniquePrefix();
        storage = await openStorage({
            connectionString: testConnectionString(),
            tablePrefix: prefix,
            container: prefix,
        });
    });

    it('drops versions superseded before the cutoff but keeps the current one and recent ones', async () => {
        const edited = await backUp('alice', {
            id: 'edited',
            versions: [
                { body: 'first draft', at: daysBefore(60) },
                { body: 'second draft', at: daysBefore(40) },
                { body: 'final text', at: daysBefore(35) },
            ],
        });
        const recent = await backUp('alice', {
            id: 'recently-edited',
            versions: [
                { body: 'before the edit', at: daysBefore(50) },
                { body: 'after the edit', at: daysBefore(5) },
            ],
        });

        const report = await cleanup(storage, { days: RETENTION_DAYS, now: LATER });

        const versions = [];
        for await (const version of storage.index.listVersions('alice')) versions.push(version.rowKey);
        expect(versions).toEqual([
            versionRowKey('edited', 3),
            versionRowKey('recently-edited', 1),
            versionRowKey('recently-edited', 2),
        ]);
        expect(report).toMatchObject({ versionsDeleted: 2, messagesDeleted: 0, blobsDeleted: 4, skipped: '' });
        expect(await Promise.all(edited.blobs.map(blobExists))).toEqual([false, false, false, false, true, true]);
        expect(await Promise.all(recent.blobs.map(blobExists))).toEqual([true, true, true, true]);
        expect(await expectEveryCurrentMessageRestorable(storage)).toBe(2);
    });

    it('purges messages deleted from the mailbox before the cutoff, with their versions and attachments', async () => {
        const longGone = await backUp('alice', {
            id: 'long-gone',
            versions: [
                { body: 'v1', at: daysBefore(90) },
                { body: 'v2', at: daysBefore(80) },
            ],
            attachments: ['invoice bytes'],
            deletedAt: daysBefore(31),
        });
        await backUp('alice', {
            id: 'lately-gone',
            versions: [{ body: 'still kept', at: daysBefore(90) }],
            attachments: ['kept attachment'],
            deletedAt: daysBefore(29),
        });

        const report = await cleanup(storage, { days: RETENTION_DAYS, now: LATER });

        expect(await storage.index.get('alice', 'long-gone')).toBeUndefined();
        expect(await storage.index.get('alice', 'lately-gone')).toMatchObject({ deletedAt: daysBefore(29) });
        const attachments = [];
        for await (const attachment of storage.index.listAttachments('alice')) attachments.push(attachment.messageId);
        expect(attachments).toEqual(['lately-gone']);
        expect(report).toMatchObject({
            messagesDeleted: 1,
            versionsDeleted: 2,
            attachmentsDeleted: 1,
            blobsDeleted: 5,
        });
        expect(await Promise.all(longGone.blobs.map(blobExists))).toEqual([false, false, false, false, false]);
    });

    it('keeps a blob a purged message shares with a message still in another mailbox', async () => {
        const shared = { versions: [{ body: 'the same newsletter', at: daysBefore(100) }], attachments: ['same pdf'] };
        const gone = await backUp('alice', { id: 'newsletter-a', ...shared, deletedAt: daysBefore(60) });
        const kept = await backUp('bob', { id: 'newsletter-b', ...shared });
        expect(gone.blobs).toEqual(kept.blobs);

        const report = await cleanup(storage, { days: RETENTION_DAYS, now: LATER });

        expect(report).toMatchObject({ messagesDeleted: 1, blobsDeleted: 0, bytesFreed: 0 });
        expect(await Promise.all(kept.blobs.map(blobExists))).toEqual([true, true, true]);
        expect(await expectEveryCurrentMessageRestorable(storage)).toBe(1);
    });

    it('deletes unreferenced and staging blobs only once they are three days old', async () => {
        await backUp('alice', { id: 'kept', versions: [{ body: 'kept', at: daysBefore(1, new Date()) }] });
        const orphan = await storage.content.putMime(Readable.from([Buffer.from('stored, row never written')]));
        const staging = await leaveStagingBlob();

        const today = await cleanup(storage, { days: RETENTION_DAYS, now: new Date() });
        expect(today).toMatchObject({ blobsDeleted: 0 });
        expect(await blobExists(orphan.blobName)).toBe(true);
        expect(await blobExists(staging)).toBe(true);

        const tenDaysLater = await cleanup(storage, { days: RETENTION_DAYS, now: LATER });
        expect(tenDaysLater).toMatchObject({ blobsDeleted: 2, bytesFreed: orphan.size + 'partial'.length });
        expect(await blobExists(orphan.blobName)).toBe(false);
        expect(await blobExists(staging)).toBe(false);
        expect(await expectEveryCurrentMessageRestorable(storage)).toBe(1);
    });

    it('deletes runs that ended before the cutoff with their mailbox rows, and runs that crashed long ago', async () => {
        const old = await recordRun(daysBefore(45), daysBefore(45), 'succeeded', ['alice', 'bob']);
        const crashed = await recordRun(daysBefore(40), '', 'running', ['alice']);
        const spanning = await recordRun(daysBefore(31), daysBefore(29), 'partial', ['alice']);
        const recent = await recordRun(daysBefore(2), daysBefore(2), 'succeeded', ['alice']);

        const report = await cleanup(storage, { days: RETENTION_DAYS, now: LATER });

        const runs = [];
        for await (const run of storage.runs.listRuns()) runs.push(run.runId);
        expect(runs).toEqual([spanning, recent]);
        expect(report.runsDeleted).toBe(2);
        for (const runId of [old, crashed]) {
            const rows = [];
            for await (const row of storage.runs.listMailboxRuns(runId)) rows.push(row);
            expect(rows).toEqual([]);
        }
    });

    it('while a backup is running, purges no message and deletes no blob', async () => {
        await recordRun(daysBefore(0.5), '', 'running', ['alice']);
        const gone = await backUp('alice', {
            id: 'gone',
            versions: [{ body: 'maybe revived by the running backup', at: daysBefore(90) }],
            deletedAt: daysBefore(60),
        });
        const orphan = await storage.content.putMime(Readable.from([Buffer.from('maybe being reused right now')]));
        const edited = await backUp('alice', {
            id: 'edited',
            versions: [
                { body: 'old', at: daysBefore(90) },
                { body: 'new', at: daysBefore(60) },
            ],
        });

        const report = await cleanup(storage, { days: RETENTION_DAYS, now: LATER });

        expect(report.skipped).toMatch(/^backup run \S+ \(started .*\) is in progress$/);
        expect(report).toMatchObject({ versionsDeleted: 1, messagesDeleted: 0, blobsDeleted: 0 });
        expect(await storage.index.get('alice', 'gone')).toBeDefined();
        expect(await Promise.all([...gone.blobs, orphan.blobName, ...edited.blobs].map(blobExists))).not.toContain(
            false,
        );
    });

    it('keeps content a backup stores again between the listing of unreferenced blobs and their deletion', async () => {
        const logo = { versions: [{ body: 'signature logo', at: daysBefore(90) }], attachments: ['logo.png bytes'] };
        const purged = await backUp('alice', { id: 'old-mail', ...logo, deletedAt: daysBefore(60) });
        // The backup that races cleanup runs ten days on as well: what it finds stored is old by its clock.
        const racingBackup = { ...storage, content: new ContentStore(testContainer(), { now: () => LATER }) };
        const newMail = { ...logo, versions: [{ body: 'signature logo', at: daysBefore(0) }] };
        let race: Promise<Stored> | undefined;
        // Cleanup has read the index and listed the unreferenced blobs; before its first delete, a backup
        // stores a new message with the same content and writes its row.
        const content = storage.content;
        const racedContent = Object.assign(Object.create(content) as ContentStore, {
            deleteIfUnchanged: async (name: string, etag: string) => {
                race ??= backUp('alice', { id: 'new-mail', ...newMail }, racingBackup);
                await race;
                return content.deleteIfUnchanged(name, etag);
            },
        });

        const report = await cleanup({ ...storage, content: racedContent }, { days: RETENTION_DAYS, now: LATER });

        const reused = await race;
        expect(reused?.blobs).toEqual(purged.blobs);
        expect(report).toMatchObject({ messagesDeleted: 1, blobsDeleted: 0, skipped: '' });
        expect(await Promise.all(purged.blobs.map(blobExists))).toEqual([true, true, true]);
        expect(await expectEveryCurrentMessageRestorable(storage)).toBe(1);
    });

    it('counts a backup holding a mailbox lock as busy however long ago its run started', async () => {
        const runId = await recordRun(daysBefore(7), '', 'running', ['alice']);
        const lock = await storage.locks.acquire('alice', runId);
        if (!lock.acquired) throw new Error('the lock of a fresh mailbox is free');
        try {
            const gone = await backUp('alice', {
                id: 'gone',
                versions: [{ body: 'maybe revived by the week-long backup', at: daysBefore(90) }],
                deletedAt: daysBefore(60),
            });

            const report = await cleanup(storage, { days: 5, now: LATER });

            expect(report.skipped).toBe('a backup is working on mailbox alice (its lock is held)');
            expect(report).toMatchObject({ runsDeleted: 0, messagesDeleted: 0, blobsDeleted: 0 });
            expect(await storage.runs.getRun(runId)).toMatchObject({ status: 'running' });
            expect(await storage.index.get('alice', 'gone')).toBeDefined();
            expect(await Promise.all(gone.blobs.map(blobExists))).toEqual([true, true]);
        } finally {
            await lock.lease.release();
        }
    });

    it('keeps everything a current message needs in a random history, and nothing unreferenced', async () => {
        const rng = new Rng(20261126);
        const random = () => rng.next();
        const pick = (items: string[]) => items[Math.floor(random() * items.length)] ?? '';
        const bodies = ['a', 'b', 'c', 'd', 'e', 'f'];
        const histories: [string, MessageHistory][] = [];
        for (const mailboxId of ['alice', 'bob', 'carol']) {
            for (let m = 0; m < 8; m++) {
                let day = 120;
                const versions = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
                    day -= Math.floor(random() * 50);
                    return { body: pick(bodies), at: daysBefore(day) };
                });
                const deletedAt = random() < 0.4 ? daysBefore(Math.floor(random() * 60)) : undefined;
                const attachments = random() < 0.5 ? [pick(bodies)] : [];
                histories.push([mailboxId, { id: `${mailboxId}-${m}`, versions, attachments, deletedAt }]);
            }
        }
        await Promise.all(histories.map(([mailboxId, history]) => backUp(mailboxId, history)));

        const report = await cleanup(storage, { days: RETENTION_DAYS, now: LATER });

        expect(report.messagesDeleted).toBeGreaterThan(0);
        expect(report.versionsDeleted).toBeGreaterThan(report.messagesDeleted);
        expect(report.blobsDeleted).toBeGreaterThan(0);
        await expectEveryCurrentMessageRestorable(storage);
        const referenced = new Set<string>();
        for await (const message of storage.index.listAll()) {
            referenced.add(message.emlBlob).add(message.jsonBlob);
            for await (const version of storage.index.listVersions(message.partitionKey, message.messageId)) {
                referenced.add(version.emlBlob).add(version.jsonBlob);
            }
            for await (const attachment of storage.index.listAttachments(message.partitionKey, message.messageId)) {
                referenced.add(attachment.blob);
            }
        }
        expect((await listBlobNames(storage)).filter((name) => !referenced.has(name))).toEqual([]);
        for await (const message of storage.index.listAll(['deletedAt'])) {
            if (message.deletedAt) expect(message.deletedAt >= daysBefore(RETENTION_DAYS)).toBe(true);
        }
    });
});

describe('cleanup after backups of a simulated tenant', () => {
    let h: Harness;

    beforeEach(async () => {
        h = await createHarness();
    });
    afterEach(async () => h.close());

    it('keeps every message the mailbox holds restorable, and the next backup downloads nothing again', async () => {
        const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        for (let i = 0; i < 6; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
        const draft = alice.addMessage('Drafts', { subject: 'draft', isDraft: true, body: 'first words' });
        const doomed = alice.addMessage('Inbox', {
            subject: 'with files',
            attachments: [{ name: 'a.pdf', size: 3000 }],
        });
        await h.backup({ type: 'full' });
        alice.editDraft(draft.id, 'second words');
        await h.backup();
        alice.editDraft(draft.id, 'third words');
        alice.deleteMessage(doomed.id);
        await h.backup();
        const blobsBefore = await listBlobNames(h.storage);

        // Forty days on, everything superseded or deleted in those backups is past a 30-day retention.
        const report = await cleanup(h.storage, { days: RETENTION_DAYS, now: new Date(Date.now() + 40 * DAY_MS) });

        expect(report).toMatchObject({
            runsDeleted: 3,
            versionsDeleted: 3,
            messagesDeleted: 1,
            // The draft's first two versions (MIME and JSON each); the deleted message's MIME and JSON: its file
            // attachment was in its MIME only, as the default format keeps it.
            attachmentsDeleted: 0,
            blobsDeleted: 6,
            skipped: '',
        });
        expect(await listBlobNames(h.storage)).toHaveLength(blobsBefore.length - report.blobsDeleted);
        expect(await h.storage.index.get(alice.id, doomed.id)).toBeUndefined();
        await expectBackupMatches(h.storage, alice);
        expect(await expectEveryCurrentMessageRestorable(h.storage)).toBe(7);

        h.sim.resetCounters();
        const { run } = await h.backup();
        expect(run.status).toBe('succeeded');
        expect(h.sim.counters.value).toBe(0);
    });
});
