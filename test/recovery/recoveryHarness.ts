import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { ContainerClient } from '@azure/storage-blob';

import { runBackup, type RunSummary } from '../../src/backup/backupRun';
import { DEFAULT_OPTIONS } from '../../src/backup/options';
import type { BackupType } from '../../src/store/entities';
import { type BackupStorage, openStorage } from '../../src/store/storage';
import type { SimulatorOptions } from '../sim';
import { engineFor } from '../support/engine';
import { createHarness, type Harness } from '../support/harness';
import { testConnectionString, uniquePrefix } from '../support/storage';

export interface RecoveryHarness {
    h: Harness;
    /** Storage whose names the test knows, so the CLI can be pointed at it. */
    storage: BackupStorage;
    container: ContainerClient;
    /** Graph settings and storage settings, as a user would give them to the CLI. */
    cliEnv: Record<string, string>;
    backup(type?: BackupType): Promise<RunSummary>;
    close(): Promise<void>;
}

export async function createRecoveryHarness(options: SimulatorOptions = {}): Promise<RecoveryHarness> {
    const h = await createHarness(options);
    const prefix = uniquePrefix();
    const connectionString = testConnectionString();
    const storage = await openStorage({ connectionString, tablePrefix: prefix, container: prefix });
    return {
        h,
        storage,
        container: new ContainerClient(connectionString, prefix),
        cliEnv: {
            ...h.env,
            BACKUP_STORAGE_CONNECTION_STRING: connectionString,
            BACKUP_TABLE_PREFIX: prefix,
            BACKUP_CONTAINER: prefix,
        },
        backup: (type = 'incremental') =>
            runBackup({ ...engineFor(h), storage }, { type, trigger: 'test', options: { ...DEFAULT_OPTIONS, type } }),
        close: () => h.close(),
    };
}

export function sha256(bytes: Buffer): string {
    return createHash('sha256').update(bytes).digest('hex');
}

/** Every file under `root`, by path relative to it. */
export async function filesUnder(root: string): Promise<string[]> {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

export async function sha256OfFile(file: string): Promise<string> {
    return sha256(await readFile(file));
}

/** Reads an mboxrd file back: the messages between `From ` lines, unquoted, without the separating empty line. */
export function readMboxrd(bytes: Buffer): Buffer[] {
    const text = bytes.toString('latin1'); // one char per byte: offsets stay byte offsets
    const messages: Buffer[] = [];
    const starts: number[] = [];
    const separator = /^From [^\n]*\n/gm;
    for (let match = separator.exec(text); match; match = separator.exec(text)) {
        starts.push(match.index, match.index + match[0].length);
    }
    for (let i = 0; i < starts.length; i += 2) {
        const end = i + 2 < starts.length ? (starts[i + 2] ?? text.length) : text.length;
        // The empty line that ends each message is the format's, not the message's.
        const body = text.slice(starts[i + 1], end).replace(/\n$/, '');
        messages.push(Buffer.from(body.replace(/^>(>*From )/gm, '$1'), 'latin1'));
    }
    return messages;
}
