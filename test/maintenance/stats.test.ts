import { beforeEach, describe, expect, it } from 'vitest';

import { computeStats } from '../../src/maintenance/stats';
import {
    emptyCounters,
    type MessageEntity,
    type RunCounters,
    type RunEntity,
    type RunStatus,
    type RunType,
} from '../../src/store/entities';
import { type BackupStorage, openStorage } from '../../src/store/storage';
import { toTableKey } from '../../src/store/tableKeys';
import { testConnectionString, uniquePrefix } from '../support/storage';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;

function daysAgo(days: number): Date {
    return new Date(NOW.getTime() - days * DAY_MS);
}

let storage: BackupStorage;

beforeEach(async () => {
    const prefix = uniquePrefix();
    storage = await openStorage({ connectionString: testConnectionString(), tablePrefix: prefix, container: prefix });
});

interface RunInput {
    startedAt: Date;
    minutes?: number;
    type?: RunType;
    status?: RunStatus;
    counters?: Partial<RunCounters>;
    mailboxes?: { id: string; upn: string }[];
}

async function recordRun(input: RunInput): Promise<RunEntity> {
    const run = await storage.runs.startRun({
        type: input.type ?? 'incremental',
        trigger: 'timer',
        now: input.startedAt,
    });
    const mailboxes = input.mailboxes ?? [];
    const ended = input.minutes === undefined ? '' : new Date(input.startedAt.getTime() + input.minutes * 60_000);
    const finished: RunEntity = {
        ...run,
        ...input.counters,
        status: input.status ?? 'succeeded',
        endedAt: ended && ended.toISOString(),
        mailboxesTotal: mailboxes.length,
        mailboxesDone: mailboxes.length,
    };
    await storage.runs.updateRun(finished);
    for (const mailbox of mailboxes) {
        await storage.runs.recordMailbox({
            ...emptyCounters(),
            partitionKey: run.runId,
            rowKey: mailbox.id,
            mailboxId: mailbox.id,
            userPrincipalName: mailbox.upn,
            status: 'succeeded',
            reason: '',
            startedAt: run.startedAt,
            endedAt: finished.endedAt,
            failedItems: '[]',
        });
    }
    return finished;
}

async function indexMessages(
    mailboxId: string,
    messages: { id: string; size: number; lastSeenAt: Date; deletedAt?: Date }[],
): Promise<void> {
    const writer = storage.index.writer(mailboxId);
    for (const message of messages) writer.upsertMessage(messageRow(mailboxId, message));
    await writer.flush();
}

function messageRow(
    mailboxId: string,
    message: { id: string; size: number; lastSeenAt: Date; deletedAt?: Date },
): MessageEntity {
    const sha256 = message.id.padEnd(64, '0');
    return {
        partitionKey: mailboxId,
        rowKey: toTableKey(message.id),
        messageId: message.id,
        sha256,
        size: message.size,
        changeKey: 'ck',
        folderId: 'inbox',
        folderPath: 'Inbox',
        subject: message.id,
        sender: 'someone@example.com',
        receivedAt: message.lastSeenAt.toISOString(),
        internetMessageId: `<${message.id}@example.com>`,
        isRead: true,
        flagStatus: 'notFlagged',
        categories: '[]',
        isDraft: false,
        emlBlob: `content/${sha256.slice(0, 2)}/${sha256}.eml`,
        jsonBlob: '',
        attachmentCount: 0,
        version: 1,
        contentSince: message.lastSeenAt.toISOString(),
        firstSeenAt: message.lastSeenAt.toISOString(),
        lastSeenAt: message.lastSeenAt.toISOString(),
        deletedAt: message.deletedAt?.toISOString() ?? '',
    };
}

describe('computeStats', () => {
    it('sums the runs of the period by status and type, and their messages and bytes', async () => {
        await recordRun({
            startedAt: daysAgo(40),
            minutes: 5,
            type: 'full',
            counters: { messagesNew: 1000, bytesDownloaded: 9e9 },
        });
        await recordRun({
            startedAt: daysAgo(6),
            minutes: 90,
            type: 'full',
            counters: {
                messagesNew: 120,
                messagesUnchanged: 0,
                bytesDownloaded: 3_000_000_000,
                bytesStored: 2_500_000_000,
            },
        });
        await recordRun({
            startedAt: daysAgo(2),
            minutes: 3,
            status: 'partial',
            counters: {
                messagesNew: 4,
                messagesChanged: 2,
                messagesUnchanged: 118,
                messagesFailed: 1,
                bytesDownloaded: 600,
            },
        });
        await recordRun({
            startedAt: daysAgo(1),
            minutes: 2,
            counters: { messagesUpdated: 7, messagesUnchanged: 124, messagesDeleted: 3 },
        });
        await recordRun({ startedAt: daysAgo(0.01), minutes: 1 });

        const report = await computeStats(storage, { days: 30, now: NOW });

        expect(report.since).toBe(daysAgo(30).toISOString());
        expect(report.runs).toEqual({
            total: 4,
            byStatus: { succeeded: 3, partial: 1, failed: 0, running: 0 },
            byType: { full: 1, incremental: 3 },
        });
        expect(report.messages).toEqual({
            backedUp: 126,
            new: 124,
            changed: 2,
            metadataUpdated: 7,
            unchanged: 242,
            deleted: 3,
            failed: 1,
        });
        // Past 2^31: stored as Edm.Double and read back exactly.
        expect(report.bytes).toEqual({ downloaded: 3_000_000_600, stored: 2_500_000_000 });
    });

    it('counts a run that has not ended as running, without a duration', async () => {
        const run = await recordRun({ startedAt: daysAgo(0.01), status: 'running' });

        const report = await computeStats(storage, { days: 7, now: NOW });

        expect(report.runs.byStatus.running).toBe(1);
        expect(report.recentRuns).toEqual([expect.objectContaining({ runId: run.runId, durationSeconds: null })]);
    });

    it('lists the ten latest runs, newest first, whatever their age', async () => {
        const runs: RunEntity[] = [];
        for (let day = 100; day > 0; day -= 8) {
            runs.push(await recordRun({ startedAt: daysAgo(day), minutes: day, counters: { messagesNew: day } }));
        }

        const report = await computeStats(storage, { days: 7, now: NOW });

        expect(report.runs.total).toBe(1);
        expect(report.recentRuns.map((run) => run.runId)).toEqual(
            runs
                .slice(-10)
                .reverse()
                .map((run) => run.runId),
        );
        expect(report.recentRuns[0]).toEqual({
            runId: runs.at(-1)?.runId,
            type: 'incremental',
            trigger: 'timer',
            status: 'succeeded',
            startedAt: daysAgo(4).toISOString(),
            durationSeconds: 4 * 60,
            mailboxes: { done: 0, skipped: 0, failed: 0 },
            messages: { new: 4, changed: 0, deleted: 0 },
            bytes: { downloaded: 0, stored: 0 },
        });
    });

    it('describes each mailbox from the index, named as the latest run recorded it, by name', async () => {
        await recordRun({
            startedAt: daysAgo(3),
            minutes: 1,
            mailboxes: [{ id: 'id-alice', upn: 'alice@old.example' }],
        });
        await recordRun({
            startedAt: daysAgo(1),
            minutes: 1,
            mailboxes: [
                { id: 'id-alice', upn: 'alice@contoso.com' },
                { id: 'id-bob', upn: 'bob@contoso.com' },
            ],
        });
        await indexMessages('id-alice', [
            { id: 'a1', size: 1000, lastSeenAt: daysAgo(10) },
            { id: 'a2', size: 2000, lastSeenAt: daysAgo(1) },
            { id: 'a3', size: 500, lastSeenAt: daysAgo(2), deletedAt: daysAgo(2) },
        ]);
        await indexMessages('id-bob', [{ id: 'b1', size: 42, lastSeenAt: daysAgo(5) }]);
        await indexMessages('id-carol', [{ id: 'c1', size: 7, lastSeenAt: daysAgo(400), deletedAt: daysAgo(300) }]);

        const report = await computeStats(storage, { days: 30, now: NOW });

        expect(report.mailboxes).toEqual([
            {
                mailboxId: 'id-alice',
                userPrincipalName: 'alice@contoso.com',
                messages: 2,
                deleted: 1,
                bytes: 3500,
                lastBackedUpAt: daysAgo(1).toISOString(),
            },
            {
                mailboxId: 'id-bob',
                userPrincipalName: 'bob@contoso.com',
                messages: 1,
                deleted: 0,
                bytes: 42,
                lastBackedUpAt: daysAgo(5).toISOString(),
            },
            {
                mailboxId: 'id-carol',
                userPrincipalName: '',
                messages: 0,
                deleted: 1,
                bytes: 7,
                lastBackedUpAt: daysAgo(400).toISOString(),
            },
        ]);
    });

    it('reports an empty backup as zeros, not as an error', async () => {
        const report = await computeStats(storage, { days: 30, now: NOW });

        expect(report).toMatchObject({
            runs: { total: 0 },
            messages: { backedUp: 0, failed: 0 },
            bytes: { downloaded: 0, stored: 0 },
            mailboxes: [],
            recentRuns: [],
        });
    });
});
