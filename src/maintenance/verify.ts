/**
 * Verification: re-reads what the backup stored and checks it against the index.
 *
 * Per mailbox, every `messages`, `versions` and `attachments` row is checked:
 *   missing  the row names a blob that does not exist;
 *   corrupt  the blob's size, or (for blobs in the sample) the SHA-256 of its bytes, differs from the row's;
 *   dangling the row names no content at all, or a message's current version row is gone;
 * and, when every mailbox is verified, blobs under content/ and attachments/ that no row names:
 *   orphan   content nothing can restore (what `cleanup` collects once it is past its grace period).
 * JSON copies have no checksum of their own in the index (their name is the MIME's): only their presence
 * is checked. A blob named by many rows is read once; a problem is reported for every row naming it.
 *
 * Orphans are not looked for while a backup is running (it stores blobs before the rows that name them),
 * and a blob written after the verification started is never one.
 */
import { createHash } from 'node:crypto';

import type { Logger } from '../common/logger';
import { backupInProgress } from './backupInProgress';
import { listRunsNewestFirst, userPrincipalNames } from './stats';
import { mapConcurrently } from '../common/concurrency';
import type { BackupStorage } from '../store/storage';
import type { RunEntity } from '../store/entities';
import { versionRowKey } from '../store/tableKeys';

export type ProblemKind = 'missing' | 'corrupt' | 'dangling' | 'orphan';

export interface VerifyProblem {
    kind: ProblemKind;
    mailboxId: string; // '' for an orphan
    userPrincipalName: string;
    folderPath: string;
    messageId: string;
    subject: string;
    /** Which row: 'message', 'version 2', 'attachment report.pdf'; '' for an orphan. */
    entry: string;
    blob: string;
    detail: string;
}

export interface VerifyOptions {
    /** One mailbox (its Entra id); every mailbox of the index when omitted. */
    mailboxId?: string;
    /** Fraction (0..1) of blobs whose bytes are read and hashed; every blob's presence and size is checked. Default 1. */
    sample?: number;
    now?: () => Date;
    /** The sample's dice; Math.random unless a test needs it fixed. */
    random?: () => number;
}

export interface VerifyReport {
    startedAt: string;
    endedAt: string;
    sample: number;
    mailboxes: number;
    /** Mailboxes with at least one problem. */
    mailboxesWithProblems: number;
    rows: { messages: number; versions: number; attachments: number };
    blobsHashed: number;
    bytesHashed: number;
    /** False when orphans were not looked for; `orphanNote` says why. */
    orphansChecked: boolean;
    orphanNote: string;
    problemCounts: Record<ProblemKind, number>;
    /** The first MAX_LISTED_PROBLEMS problems; problemCounts is exact. */
    problems: VerifyProblem[];
}

const MAX_LISTED_PROBLEMS = 1000;
const PARALLEL_HASHES = 4;
const CONTENT_PREFIXES = ['content/', 'attachments/'];

interface Expectation {
    /** Empty for a JSON copy: only its presence is known. */
    sha256: string;
    size: number;
}

interface Referrer {
    folderPath: string;
    messageId: string;
    subject: string;
    entry: string;
}

export async function verifyBackup(
    storage: BackupStorage,
    options: VerifyOptions = {},
    log?: Logger,
): Promise<VerifyReport> {
    const now = options.now ?? (() => new Date());
    const startedAt = now();
    const sample = Math.min(1, Math.max(0, options.sample ?? 1));
    const random = options.random ?? Math.random;
    const report: VerifyReport = {
        startedAt: startedAt.toISOString(),
        endedAt: '',
        sample,
        mailboxes: 0,
        mailboxesWithProblems: 0,
        rows: { messages: 0, versions: 0, attachments: 0 },
        blobsHashed: 0,
        bytesHashed: 0,
        orphansChecked: false,
        orphanNote: '',
        problemCounts: { missing: 0, corrupt: 0, dangling: 0, orphan: 0 },
        problems: [],
    };
    const add = (problem: VerifyProblem) => {
        report.problemCounts[problem.kind]++;
        if (report.problems.length < MAX_LISTED_PROBLEMS) report.problems.push(problem);
    };

    const blobs = await listContentBlobs(storage);
    const mailboxIds = options.mailboxId ? [options.mailboxId] : await storage.index.listMailboxIds();
    const names = await userPrincipalNames(
        storage.runs,
        (await listRunsNewestFirst(storage.runs)).map((run) => run.runId),
        mailboxIds,
    );
    /** Blob name → '' when good, else what is wrong with it: each blob is read once whatever refers to it. */
    const verdicts = new Map<string, Promise<string>>();
    const referenced = new Set<string>();
    const check = (blob: string, expected: Expectation): Promise<string> => {
        let verdict = verdicts.get(blob);
        if (verdict === undefined) {
            verdict = checkBlob(storage, blob, expected, blobs, sample > 0 && random() < sample, report);
            verdicts.set(blob, verdict);
        }
        return verdict;
    };

    for (const mailboxId of mailboxIds) {
        const userPrincipalName = names.get(mailboxId) ?? '';
        const before = totalProblems(report);
        const rows = await mailboxRows(storage, mailboxId, report);
        for (const { blob } of rows) referenced.add(blob);
        // A message's row and its current version's row name the same blob: one problem, not two.
        const reported = new Set<string>();
        await mapConcurrently(rows, PARALLEL_HASHES, async (row) => {
            const key = `${row.referrer.messageId}\n${row.blob || row.referrer.entry}`;
            if (reported.has(key)) return;
            if (!row.blob) {
                reported.add(key);
                add({ kind: 'dangling', mailboxId, userPrincipalName, ...row.referrer, blob: '', detail: row.detail });
                return;
            }
            const verdict = await check(row.blob, row.expected);
            if (!verdict || reported.has(key)) return;
            reported.add(key);
            const kind: ProblemKind = verdict.startsWith('missing') ? 'missing' : 'corrupt';
            add({ kind, mailboxId, userPrincipalName, ...row.referrer, blob: row.blob, detail: verdict });
        });
        report.mailboxes++;
        if (totalProblems(report) > before) report.mailboxesWithProblems++;
        log?.info(`verify: ${userPrincipalName || mailboxId}: ${totalProblems(report) - before} problems`);
    }

    if (options.mailboxId) {
        report.orphanNote = 'only one mailbox was verified; content no row names needs every mailbox read';
    } else {
        const busy = await backupInProgress(storage, startedAt);
        report.orphanNote = busy && `${busy}: it stores content before the rows naming it`;
        report.orphansChecked = report.orphanNote === '';
    }
    if (report.orphansChecked) {
        for (const [name, blob] of blobs) {
            if (referenced.has(name) || blob.lastModified >= startedAt) continue;
            add({
                kind: 'orphan',
                mailboxId: '',
                userPrincipalName: '',
                folderPath: '',
                messageId: '',
                subject: '',
                entry: '',
                blob: name,
                detail: `no message, version or attachment row names it (${blob.size} bytes); cleanup removes it`,
            });
        }
    }
    report.endedAt = now().toISOString();
    return report;
}

/** Records a verification in the run history as a run of type 'verify': failed when it found problems. */
export async function recordVerifyRun(
    storage: BackupStorage,
    report: VerifyReport,
    trigger: string,
): Promise<RunEntity> {
    const run = await storage.runs.startRun({ type: 'verify', trigger, now: new Date(report.startedAt) });
    const problems = totalProblems(report);
    Object.assign(run, {
        status: problems > 0 ? 'failed' : 'succeeded',
        endedAt: report.endedAt,
        mailboxesTotal: report.mailboxes,
        mailboxesDone: report.mailboxes - report.mailboxesWithProblems,
        mailboxesFailed: report.mailboxesWithProblems,
        problemsFound: problems,
        bytesDownloaded: report.bytesHashed,
    } satisfies Partial<RunEntity>);
    await storage.runs.updateRun(run);
    return run;
}

export function totalProblems(report: VerifyReport): number {
    return Object.values(report.problemCounts).reduce((sum, n) => sum + n, 0);
}

interface RowCheck {
    blob: string;
    expected: Expectation;
    referrer: Referrer;
    /** Why a row without a blob is a problem. */
    detail: string;
}

/** Every blob each index row of the mailbox names, with what it should hold and who names it. */
async function mailboxRows(storage: BackupStorage, mailboxId: string, report: VerifyReport): Promise<RowCheck[]> {
    const checks: RowCheck[] = [];
    const messages = new Map<string, { folderPath: string; subject: string; versionKey: string }>();
    for await (const row of storage.index.listMailbox(mailboxId)) {
        report.rows.messages++;
        const referrer = {
            folderPath: row.folderPath,
            messageId: row.messageId,
            subject: row.subject,
            entry: 'message',
        };
        messages.set(row.messageId, {
            folderPath: row.folderPath,
            subject: row.subject,
            versionKey: versionRowKey(row.messageId, row.version),
        });
        checks.push(...contentChecks(row, referrer));
    }
    const versionKeys = new Set<string>();
    for await (const row of storage.index.listVersions(mailboxId)) {
        report.rows.versions++;
        versionKeys.add(row.rowKey);
        const message = messages.get(row.messageId);
        const referrer = {
            folderPath: message?.folderPath ?? '',
            messageId: row.messageId,
            subject: row.subject ?? message?.subject ?? '',
            entry: `version ${row.version}`,
        };
        checks.push(...contentChecks(row, referrer));
    }
    for (const [messageId, message] of messages) {
        if (versionKeys.has(message.versionKey)) continue;
        checks.push({
            blob: '',
            expected: { sha256: '', size: 0 },
            referrer: { folderPath: message.folderPath, messageId, subject: message.subject, entry: 'message' },
            detail: 'its current version row is missing from the versions table',
        });
    }
    for await (const row of storage.index.listAttachments(mailboxId)) {
        report.rows.attachments++;
        const message = messages.get(row.messageId);
        const referrer = {
            folderPath: message?.folderPath ?? '',
            messageId: row.messageId,
            subject: message?.subject ?? '',
            entry: `attachment ${row.name}`,
        };
        if (row.blob)
            checks.push({ blob: row.blob, expected: { sha256: row.sha256, size: row.size }, referrer, detail: '' });
    }
    return checks;
}

function contentChecks(
    row: { emlBlob: string; jsonBlob: string; sha256: string; size: number },
    referrer: Referrer,
): RowCheck[] {
    const checks: RowCheck[] = [];
    if (row.emlBlob)
        checks.push({ blob: row.emlBlob, expected: { sha256: row.sha256, size: row.size }, referrer, detail: '' });
    if (row.jsonBlob) checks.push({ blob: row.jsonBlob, expected: { sha256: '', size: 0 }, referrer, detail: '' });
    if (checks.length === 0) {
        checks.push({ blob: '', expected: { sha256: '', size: 0 }, referrer, detail: 'it names no stored content' });
    }
    return checks;
}

/** '' when the blob is as expected, else a description starting with 'missing' or saying what differs. */
async function checkBlob(
    storage: BackupStorage,
    blob: string,
    expected: Expectation,
    listed: Map<string, { size: number }>,
    hash: boolean,
    report: VerifyReport,
): Promise<string> {
    const found = listed.get(blob);
    if (!found) return 'missing: the blob does not exist';
    if (!expected.sha256) return '';
    if (found.size !== expected.size) return `its size is ${found.size} bytes, the index says ${expected.size}`;
    if (!hash) return '';
    const digest = createHash('sha256');
    let bytes = 0;
    for await (const chunk of await storage.content.openRead(blob)) {
        digest.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
    }
    report.blobsHashed++;
    report.bytesHashed += bytes;
    const actual = digest.digest('hex');
    if (actual !== expected.sha256 || bytes !== expected.size) {
        return `its bytes hash to ${actual} (${bytes} bytes); the index says ${expected.sha256}`;
    }
    return '';
}

async function listContentBlobs(storage: BackupStorage): Promise<Map<string, { size: number; lastModified: Date }>> {
    const blobs = new Map<string, { size: number; lastModified: Date }>();
    for (const prefix of CONTENT_PREFIXES) {
        for await (const blob of storage.content.listBlobs(prefix)) blobs.set(blob.name, blob);
    }
    return blobs;
}
