import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

import { StorageError } from '../../src/common/errors';
import { KEY_FILE, startAzurite, type RunningAzurite } from '../../src/store/azurite';
import { startCli } from '../support/cliProcess';
import { uniquePrefix } from '../support/storage';

const WELL_KNOWN_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** Preloaded into a CLI process: resolves `azurite` as a production install would, to nothing. */
const WITHOUT_AZURITE = `data:text/javascript,${encodeURIComponent(`
    import Module from 'node:module';
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
        if (request === 'azurite' || request.startsWith('azurite/')) {
            throw Object.assign(new Error('Cannot find module ' + request), { code: 'MODULE_NOT_FOUND' });
        }
        return resolve.call(this, request, ...rest);
    };
`)}`;

describe('an Azurite started in memory', () => {
    let location: string;
    let azurite: RunningAzurite;

    beforeAll(async () => {
        location = await mkdtemp(path.join(os.tmpdir(), 'azurite-test-'));
        azurite = await startAzurite({ location, inMemory: true });
    });

    afterAll(async () => {
        await azurite.stop();
        await rm(location, { recursive: true, force: true });
    });

    it('stores and reads table entities through its connection string', async () => {
        const table = tableClient(azurite.connectionString, `${uniquePrefix()}messages`);
        await table.createTable();
        await table.upsertEntity({ partitionKey: 'mailbox', rowKey: 'message', sha256: 'abc', size: 42 });

        const entity = await table.getEntity<{ sha256: string; size: number }>('mailbox', 'message');

        expect(entity).toMatchObject({ sha256: 'abc', size: 42 });
    });

    it('stores and reads blobs through its connection string', async () => {
        const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
        const container = blobs.getContainerClient(`${uniquePrefix()}-content`);
        await container.create();
        const blob = container.getBlockBlobClient('mailbox/message.eml');
        await blob.upload('Subject: hello\r\n\r\nbody', 22);

        const content = await blob.downloadToBuffer();

        expect(content.toString()).toBe('Subject: hello\r\n\r\nbody');
    });

    it('writes nothing to its location', async () => {
        const table = tableClient(azurite.connectionString, `${uniquePrefix()}runs`);
        await table.createTable();

        expect(await readdir(location)).toEqual([]);
    });
});

describe('startAzurite', () => {
    it('keeps tables and blobs across a restart on the same location', async () => {
        const location = await temporaryLocation();
        const prefix = uniquePrefix();
        const first = await startAzurite({ location });
        await writeEntityAndBlob(first.connectionString, prefix);
        await first.stop();

        const second = await startAzurite({ location });
        onTestFinished(() => second.stop());

        expect(await readEntityAndBlob(second.connectionString, prefix)).toEqual({ sha256: 'abc', content: 'mime' });
    });

    it('leaves no Azurite process behind once stopped', async () => {
        const location = await temporaryLocation();
        const azurite = await startAzurite({ location });
        expect(azuriteProcesses(location)).toHaveLength(1);

        await azurite.stop();

        expect(azuriteProcesses(location)).toEqual([]);
    });

    it('names the port when a port it was given is taken', async () => {
        const location = await temporaryLocation();
        const occupier = net.createServer().listen(0, '127.0.0.1');
        await once(occupier, 'listening');
        onTestFinished(() => void occupier.close());
        const blobPort = (occupier.address() as AddressInfo).port;

        const start = startAzurite({ location, blobPort });

        await expect(start).rejects.toThrow(StorageError);
        await expect(start).rejects.toThrow(`EADDRINUSE: address already in use 127.0.0.1:${blobPort}`);
        expect(azuriteProcesses(location)).toEqual([]);
    });

    it.for([
        ['exits without stopping it', undefined],
        ['is interrupted (SIGINT)', 'SIGINT'],
        ['is terminated (SIGTERM)', 'SIGTERM'],
        ['is killed (SIGKILL)', 'SIGKILL'],
    ] as const)('leaves no Azurite behind when the process that started it %s', async ([, signal]) => {
        const location = await temporaryLocation();
        const parent = startAzuriteInChildProcess(location, signal === undefined);
        await parent.started;
        expect(azuriteProcesses(location)).toHaveLength(1);

        if (signal !== undefined) parent.process.kill(signal);
        else parent.process.send('end');
        await parent.exited;

        expect(await azuriteProcessesAfter(5_000, location)).toEqual([]);
    });
});

describe('the embedded Azurite (a generated key)', () => {
    it('refuses the public well-known key, and keeps its own across restarts', async () => {
        const location = await temporaryLocation();
        const prefix = uniquePrefix();
        const first = await startAzurite({ location, generatedKey: true });
        await writeEntityAndBlob(first.connectionString, prefix);
        await first.stop();

        const second = await startAzurite({ location, generatedKey: true });
        onTestFinished(() => second.stop());
        const key = (await readFile(path.join(location, KEY_FILE), 'utf8')).trim();
        const wellKnown = second.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${WELL_KNOWN_KEY}`);

        expect(key).not.toBe(WELL_KNOWN_KEY);
        expect(accountKey(first.connectionString)).toBe(key);
        expect(accountKey(second.connectionString)).toBe(key);
        expect(await readEntityAndBlob(second.connectionString, prefix)).toEqual({ sha256: 'abc', content: 'mime' });
        await expect(readEntityAndBlob(wellKnown, prefix)).rejects.toMatchObject({ statusCode: 403 });
        await expect(listBlobs(wellKnown, prefix)).rejects.toMatchObject({ statusCode: 403 });
    });

    it.skipIf(process.platform === 'win32')('keeps its data and key private to the user', async () => {
        const parent = await temporaryLocation();
        const location = path.join(parent, 'new', 'azurite');
        const loose = path.join(parent, 'loose');
        await mkdir(loose, { mode: 0o755 });
        await chmod(loose, 0o755);

        const created = await startAzurite({ location, generatedKey: true });
        onTestFinished(() => created.stop());
        const existing = await startAzurite({ location: loose, generatedKey: true });
        onTestFinished(() => existing.stop());

        expect(await modeOf(location)).toBe(0o700);
        expect(await modeOf(path.join(location, KEY_FILE))).toBe(0o600);
        expect(await modeOf(loose)).toBe(0o700);
        expect(await readdir(loose)).toContain(KEY_FILE);
    });

    it('names the file when its key file holds no key', async () => {
        const location = await temporaryLocation();
        await writeFile(path.join(location, KEY_FILE), 'devstoreaccount1:x');

        const start = startAzurite({ location, generatedKey: true });

        await expect(start).rejects.toThrow(StorageError);
        await expect(start).rejects.toThrow(`${path.join(location, KEY_FILE)} does not hold an account key`);
    });
});

describe('the installed Azurite', () => {
    it('carries the patches in patches/ (postinstall), which keep its writes from slowing as it fills', async () => {
        const root = path.resolve(__dirname, '../..');
        const patches = (await readdir(path.join(root, 'patches'))).filter((name) => name.startsWith('azurite+'));
        const missing: string[] = [];
        for (const patch of patches) {
            for (const { file, after } of hunks(await readFile(path.join(root, 'patches', patch), 'utf8'))) {
                if (!(await readFile(path.join(root, file), 'utf8')).includes(after)) missing.push(`${patch}: ${file}`);
            }
        }

        expect(patches).not.toEqual([]);
        expect(missing).toEqual([]);
    });
});

describe('the Functions app', () => {
    it('ships without Azurite: a dev dependency, pruned by the remote build after it compiled', async () => {
        const manifest = JSON.parse(await readFile(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
            dependencies: Record<string, string>;
            devDependencies: Record<string, string>;
            scripts: Record<string, string>;
        };

        expect(Object.keys(manifest.dependencies)).not.toContain('azurite');
        expect(Object.keys(manifest.devDependencies)).toContain('azurite');
        // Oryx runs it after `npm install` (dev dependencies included) and `npm run build` (azure.yaml).
        expect(manifest.scripts['build:azure']).toBe('npm prune --omit=dev');
    });
});

describe('the CLI without Azurite installed (a production install)', () => {
    it('says in one line that storage is needed, and creates no data folder', async () => {
        const data = await temporaryLocation();
        const cli = startCli(['stats'], {
            BACKUP_LOCAL_DATA: path.join(data, 'local'),
            NODE_OPTIONS: `--import=${WITHOUT_AZURITE}`,
        });

        const { code, stderr } = await cli.exited;

        expect(code).toBe(2);
        expect(stderr).toMatch(/^error: No storage account is configured .* Azurite, .* is not installed: .*\n$/);
        expect(await readdir(data)).toEqual([]);
    });
});

async function temporaryLocation(): Promise<string> {
    const location = await mkdtemp(path.join(os.tmpdir(), 'azurite-test-'));
    onTestFinished(() => rm(location, { recursive: true, force: true }));
    return location;
}

/**
 * Azurite serves plain http on a port of its own; the Tables SDK allows http only for the literal
 * "UseDevelopmentStorage=true" (ports 10000-10002), so any other http endpoint needs this option.
 */
function tableClient(connectionString: string, tableName: string): TableClient {
    return TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection: true });
}

async function writeEntityAndBlob(connectionString: string, prefix: string): Promise<void> {
    const table = tableClient(connectionString, `${prefix}messages`);
    await table.createTable();
    await table.upsertEntity({ partitionKey: 'mailbox', rowKey: 'message', sha256: 'abc' });
    const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(prefix);
    await container.create();
    await container.getBlockBlobClient('message.eml').upload('mime', 4);
}

async function readEntityAndBlob(
    connectionString: string,
    prefix: string,
): Promise<{ sha256: string; content: string }> {
    const table = tableClient(connectionString, `${prefix}messages`);
    const { sha256 } = await table.getEntity<{ sha256: string }>('mailbox', 'message');
    const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(prefix);
    const content = await container.getBlockBlobClient('message.eml').downloadToBuffer();
    return { sha256, content: content.toString() };
}

/** Each hunk of a unified diff: the file it changes and the lines it leaves there (context and added). */
function hunks(diff: string): { file: string; after: string }[] {
    const found: { file: string; after: string[] }[] = [];
    let file = '';
    for (const line of diff.split('\n')) {
        if (line.startsWith('+++ b/')) file = line.slice('+++ b/'.length);
        else if (line.startsWith('@@')) found.push({ file, after: [] });
        else if (/^[ +]/.test(line)) found.at(-1)?.after.push(line.slice(1));
    }
    return found.map((hunk) => ({ file: hunk.file, after: hunk.after.join('\n') }));
}

async function listBlobs(connectionString: string, prefix: string): Promise<string[]> {
    const names: string[] = [];
    const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(prefix);
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    return names;
}

function accountKey(connectionString: string): string | undefined {
    return /AccountKey=([^;]+)/.exec(connectionString)?.[1];
}

async function modeOf(file: string): Promise<number> {
    return (await stat(file)).mode & 0o777;
}

/** Command lines of the Azurite processes using `location` (Azurite names it only when not in memory). */
function azuriteProcesses(location: string): string[] {
    return execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' })
        .split('\n')
        .filter((args) => args.includes('azurite.js') && args.includes(`--location ${location}`));
}

async function azuriteProcessesAfter(waitMs: number, location: string): Promise<string[]> {
    const deadline = Date.now() + waitMs;
    while (azuriteProcesses(location).length > 0 && Date.now() < deadline) await delay(100);
    return azuriteProcesses(location);
}

/** A Node process that starts Azurite, then either ends or idles until it is signalled. */
function startAzuriteInChildProcess(location: string, endWhenStarted: boolean) {
    const modulePath = path.resolve(__dirname, '../../src/store/azurite.ts');
    // Ending by itself waits for the test's word, then lets its event loop run dry: the test must first see
    // Azurite running, which a process that ended at once might already have taken down with it.
    const script = `
        require(${JSON.stringify(modulePath)})
            .startAzurite({ location: ${JSON.stringify(location)} })
            .then(() => process.send('started'));
        ${endWhenStarted ? "process.once('message', () => process.disconnect());" : 'setInterval(() => {}, 60_000);'}
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--eval', script], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = once(child, 'exit');
    const started = Promise.race([
        once(child, 'message'),
        exited.then(([code]) => Promise.reject(new Error(`the process starting Azurite exited with ${String(code)}`))),
    ]);
    return { process: child, started, exited };
}
