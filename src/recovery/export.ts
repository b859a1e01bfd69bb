/**
 * Export of one mailbox to files: one `.eml` per message, byte for byte the MIME Graph served, under a
 * directory per folder; or one mboxrd file per folder. Read from the index as of a point in time
 * (pointInTime.ts), so deleted and older versions of messages export as they were then.
 *
 * Every message streams from its blob to its file through a SHA-256 check: nothing holds a message
 * in memory, and a file whose bytes differ from the recorded checksum is removed and reported instead
 * of being left looking like a good copy. Messages backed up with `--format json` have no MIME; they
 * are counted as skipped (their JSON copy is not a message file a mail client could open).
 *
 * An export is someone's mail: every folder it creates is 0700 and every file 0600, for its owner only (a
 * umask can only narrow that; an export folder that existed already keeps its own mode).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { forEachConcurrently } from '../common/concurrency';
import { ConfigError, InputError } from '../common/errors';
import type { BackupStorage } from '../store/storage';
import { ExportLayout } from './exportLayout';
import { fromLine, MboxrdQuote } from './mboxrd';
import { type MessageAsOf, messagesAsOf, type RestorePoint, restorePointAt } from './pointInTime';

export type ExportFormat = 'eml' | 'mbox';

export interface ExportOptions {
    /** The export folder: created when missing, refused when it holds anything. */
    out: string;
    asOf?: Date;
    folder?: string;
    format: ExportFormat;
    /** False: every file in the export folder itself, without the folder tree. */
    folders: boolean;
}

export interface ExportFailure {
    messageId: string;
    subject: string;
    folderPath: string;
    error: string;
}

export interface ExportSummary {
    /** The backup the export is as of; undefined for the latest state. */
    restorePoint?: RestorePoint;
    messages: number;
    bytes: number;
    /** Directories (eml) or mbox files written. */
    folders: number;
    /** Messages with only a JSON copy, not exported. */
    skippedJsonOnly: number;
    failed: ExportFailure[];
}

/** Messages streamed side by side (eml); an mbox file takes its messages one at a time. */
const EXPORT_LANES = 8;

const PRIVATE_FILE = 0o600;
const PRIVATE_FOLDER = 0o700;

export async function exportMailbox(
    storage: BackupStorage,
    mailbox: { id: string; userPrincipalName: string },
    options: ExportOptions,
): Promise<ExportSummary> {
    const restorePoint = options.asOf ? await restorePointAt(storage, mailbox.id, options.asOf) : undefined;
    const root = await prepareExportFolder(options.out);
    const summary: ExportSummary = { restorePoint, messages: 0, bytes: 0, folders: 0, skippedJsonOnly: 0, failed: [] };
    const writer = new MessageWriter(storage, new ExportLayout(root), options, mailbox, summary);
    const messages = messagesAsOf(storage, mailbox.id, {
        asOf: restorePoint ? new Date(restorePoint.endedAt) : undefined,
        folder: options.folder,
    });
    await forEachConcurrently(messages, EXPORT_LANES, async (message) => {
        if (!message.emlBlob) {
            summary.skippedJsonOnly++;
            return;
        }
        try {
            await writer.write(message);
            summary.messages++;
            summary.bytes += message.size;
        } catch (error) {
            summary.failed.push({
                messageId: message.messageId,
                subject: message.subject,
                folderPath: message.folderPath,
                error: describeFailure(error, message.emlBlob),
            });
        }
    });
    return summary;
}

/** The export folder, absolute: created if missing; an existing one must be empty, so nothing is overwritten. */
export async function prepareExportFolder(out: string): Promise<string> {
    const root = path.resolve(out);
    try {
        await mkdir(root, { recursive: true, mode: PRIVATE_FOLDER });
        const entries = await readdir(root);
        if (entries.length > 0) {
            throw new InputError('outputFolder', `${root} is not empty; export into a new or empty folder`);
        }
        await probeWritable(root);
    } catch (error) {
        if (error instanceof ConfigError) throw error;
        const code = (error as NodeJS.ErrnoException).code ?? 'not writable';
        throw new InputError('outputFolder', `cannot write to the folder ${root} (${code})`, { cause: error });
    }
    return root;
}

/** Proves the folder is writable before the first message is read: creates a file and removes it. */
async function probeWritable(root: string): Promise<void> {
    const probe = path.join(root, '.write-test');
    await writeFile(probe, '', { flag: 'wx', mode: PRIVATE_FILE });
    await rm(probe, { force: true });
}

class MessageWriter {
    private readonly mboxFiles = new Map<string, { file: string; written: Promise<void> }>();
    /** Each directory is created once; everyone writing into it waits for that. */
    private readonly directories = new Map<string, Promise<void>>();

    constructor(
        private readonly storage: BackupStorage,
        private readonly layout: ExportLayout,
        private readonly options: ExportOptions,
        private readonly mailbox: { id: string; userPrincipalName: string },
        private readonly summary: ExportSummary,
    ) {}

    write(message: MessageAsOf): Promise<void> {
        return this.options.format === 'mbox' ? this.appendToMbox(message) : this.writeEml(message);
    }

    private async writeEml(message: MessageAsOf): Promise<void> {
        const directory = await this.directory(this.options.folders ? message.folderNames : []);
        const date = message.receivedAt.slice(0, 10);
        const file = this.layout.fileIn(directory, `${date} ${message.subject || '(no subject)'}`.trim(), '.eml');
        try {
            await this.copyContent(message, [], () => createWriteStream(file, { flags: 'wx', mode: PRIVATE_FILE }));
        } catch (error) {
            await rm(file, { force: true });
            throw error;
        }
    }

    /** Appends under the file's own queue; a message that fails is cut off again, leaving the file whole. */
    private appendToMbox(message: MessageAsOf): Promise<void> {
        const names = this.options.folders ? message.folderNames : [this.mailbox.userPrincipalName || this.mailbox.id];
        const key = JSON.stringify(names);
        let mbox = this.mboxFiles.get(key);
        if (mbox === undefined) {
            const file = this.layout.fileIn(
                this.layout.directoryFor(names.slice(0, -1)),
                names.at(-1) ?? 'mailbox',
                '.mbox',
            );
            const created = this.directory(names.slice(0, -1)).then(() => {
                this.summary.folders++;
            });
            mbox = { file, written: created };
            this.mboxFiles.set(key, mbox);
        }
        const { file } = mbox;
        const queue = mbox;
        const append = async () => {
            const before = await stat(file).then(
                (s) => s.size,
                () => undefined,
            );
            const openSink = () => {
                const sink = createWriteStream(file, { flags: before === undefined ? 'wx' : 'a', mode: PRIVATE_FILE });
                sink.write(fromLine(message.receivedAt));
                return sink;
            };
            try {
                await this.copyContent(message, [new MboxrdQuote()], openSink);
            } catch (error) {
                await (before === undefined ? rm(file, { force: true }) : truncate(file, before));
                throw error;
            }
        };
        const written = queue.written.then(append);
        queue.written = written.catch(() => undefined);
        return written;
    }

    private async directory(folderNames: readonly string[]): Promise<string> {
        const directory = this.layout.directoryFor(folderNames);
        let created = this.directories.get(directory);
        if (!created) {
            if (this.options.format === 'eml' && directory !== this.layout.root) this.summary.folders++;
            created = mkdir(directory, { recursive: true, mode: PRIVATE_FOLDER }).then(() => undefined);
            this.directories.set(directory, created);
        }
        await created;
        return directory;
    }

    /**
     * Blob → checksum → (transforms) → file; rejects when the bytes are not the ones the index recorded.
     * The file is opened only once the blob answered, inside the pipeline that handles its errors.
     */
    private async copyContent(message: MessageAsOf, transforms: Transform[], openSink: () => NodeJS.WritableStream) {
        const source = await this.storage.content.openRead(message.emlBlob);
        const check = new ChecksumCheck(message.sha256, message.size);
        await pipeline([source, check, ...transforms, openSink()]);
    }
}

/** Passes bytes through, and fails the stream at its end when their SHA-256 or length is not the expected one. */
class ChecksumCheck extends Transform {
    private readonly hash = createHash('sha256');
    private bytes = 0;

    constructor(
        private readonly sha256: string,
        private readonly size: number,
    ) {
        super();
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
        this.hash.update(chunk);
        this.bytes += chunk.length;
        done(null, chunk);
    }

    override _flush(done: TransformCallback): void {
        const actual = this.hash.digest('hex');
        if (actual === this.sha256 && this.bytes === this.size) return done();
        done(new Error(`stored content does not match its checksum (${this.bytes} bytes, SHA-256 ${actual})`));
    }
}

function describeFailure(error: unknown, blob: string): string {
    const status = (error as { statusCode?: unknown })?.statusCode;
    if (status === 404) return `its content ${blob} is missing from storage`;
    return error instanceof Error ? error.message : String(error);
}
