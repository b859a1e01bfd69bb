/**
 * Azurite, the Azure Storage emulator, run as a child process: the CLI's storage when no Azure
 * Storage account is configured, and the tests' storage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { ConfigError, StorageError } from '../common/errors';

export interface AzuriteOptions {
    /** Folder for Azurite's data, created if missing, private to the user (0700). */
    location: string;
    /** Keep all data in memory and lose it on stop; nothing is written to `location` then. */
    inMemory?: boolean;
    /**
     * Serve an account key generated once and kept in `location` (KEY_FILE, mode 0600) instead of the
     * public well-known development key, so that no other local user can read the data while it runs.
     */
    generatedKey?: boolean;
    /** Ports default to free ones picked at start. */
    blobPort?: number;
    queuePort?: number;
    tablePort?: number;
}

export interface RunningAzurite {
    connectionString: string;
    blobEndpoint: string;
    tableEndpoint: string;
    queueEndpoint: string;
    /** Stops Azurite (SIGTERM, which saves its data; SIGKILL if it has not exited in time) and resolves once it has. */
    stop(): Promise<void>;
}

interface Ports {
    blob: number;
    queue: number;
    table: number;
}

const HOST = '127.0.0.1';
// The well-known development account and key every Azurite accepts unless told otherwise (the tests' key):
// https://learn.microsoft.com/azure/storage/common/storage-use-azurite#well-known-storage-account-and-key
const ACCOUNT_NAME = 'devstoreaccount1';
const WELL_KNOWN_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** Beside Azurite's own files in its location; see docs/local-storage.md. */
export const KEY_FILE = 'account-key';
/** A key as long as the well-known one: 64 random bytes, in base64. */
const KEY_BYTES = 64;
const KEY_FORMAT = /^[A-Za-z0-9+/]{86}==$/;
const START_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 20_000;
/** How long Azurite may take to exit after SIGTERM; one on disk first saves its databases, seconds when large. */
const STOP_GRACE_MS = { inMemory: 3_000, onDisk: 30_000 };
/**
 * How often an Azurite on disk saves its databases (the patch in patches/ reads this; Azurite's own interval is
 * 5 s). Each save writes a whole database, which took 2 s for 15,000 messages on a busy 2-core machine, so at 5 s
 * a large backup spent some 40% of Azurite's time saving. It also saves on exit; a machine that crashes loses the
 * last 30 s of writes. See docs/local-storage.md.
 */
const AUTOSAVE_INTERVAL_MS = 30_000;
const STDERR_TAIL_CHARS = 1_000;

/**
 * Preloaded into the Azurite process. A parent killed by a signal runs no exit handler, so Azurite
 * watches for itself: once orphaned (re-parented, so its ppid changes) it sends itself SIGTERM, which
 * Azurite handles by closing its servers and saving its data, and exits regardless 30 s later.
 */
const EXIT_WITH_PARENT = `data:text/javascript,${encodeURIComponent(`
    const parent = process.ppid;
    const watch = setInterval(() => {
        if (process.ppid === parent) return;
        clearInterval(watch);
        process.kill(process.pid, 'SIGTERM');
        setTimeout(() => process.exit(1), 30000).unref();
    }, 1000).unref();
`)}`;

export async function startAzurite(options: AzuriteOptions): Promise<RunningAzurite> {
    const script = await azuriteScript();
    const location = path.resolve(options.location);
    await mkdir(location, { recursive: true, mode: 0o700 });
    // A folder an earlier version created with the default umask is made private too.
    await chmod(location, 0o700);
    const accountKey = options.generatedKey ? await generatedKey(location) : WELL_KNOWN_KEY;
    const portGiven = [options.blobPort, options.queuePort, options.tablePort].some((port) => port !== undefined);
    for (let attempt = 1; ; attempt++) {
        const free = await freePorts();
        const ports = {
            blob: options.blobPort ?? free.blob,
            queue: options.queuePort ?? free.queue,
            table: options.tablePort ?? free.table,
        };
        try {
            return await launch(script, { location, ports, accountKey, inMemory: options.inMemory ?? false });
        } catch (error) {
            // Another process may take a free port between our probe and Azurite's listen; then try
            // other ones. A port the caller gave would be taken again, so that fails at once.
            const portTaken = error instanceof StorageError && error.message.includes('EADDRINUSE');
            if (!portTaken || portGiven || attempt === START_ATTEMPTS) throw error;
        }
    }
}

/**
 * Azurite's command-line script. Azurite is a development dependency, so a production install (the
 * Functions app's) has none; there the CLI needs a storage account.
 */
async function azuriteScript(): Promise<string> {
    let manifestPath: string;
    try {
        manifestPath = require.resolve('azurite/package.json');
    } catch (error) {
        throw new ConfigError(
            'No storage account is configured (BACKUP_STORAGE_CONNECTION_STRING) and Azurite, the local storage ' +
                'used instead, is not installed: set the storage account, or install with dev dependencies (npm ci).',
            { cause: error },
        );
    }
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { bin: { azurite: string } };
    return path.resolve(path.dirname(manifestPath), manifest.bin.azurite);
}

/**
 * The account key kept in `location`, generated on first use. It is written under a temporary name and
 * linked into place, so two processes starting at once agree on one complete key.
 */
async function generatedKey(location: string): Promise<string> {
    const file = path.join(location, KEY_FILE);
    const draft = `${file}.${randomBytes(6).toString('hex')}`;
    await writeFile(draft, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
        await link(draft, file);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
        await rm(draft, { force: true });
    }
    await chmod(file, 0o600);
    const key = (await readFile(file, 'utf8')).trim();
    if (!KEY_FORMAT.test(key)) {
        throw new StorageError(
            `${file} does not hold an account key (${KEY_BYTES} bytes in base64); delete it to have one generated.`,
        );
    }
    return key;
}

/** Ports the system hands out for port 0; the three listen at once, so they are distinct. */
async function freePorts(): Promise<Ports> {
    const [blob, queue, table] = await Promise.all([listenOnAnyPort(), listenOnAnyPort(), listenOnAnyPort()]);
    const portOf = (server: net.Server) => (server.address() as AddressInfo).port;
    const ports = { blob: portOf(blob), queue: portOf(queue), table: portOf(table) };
    await Promise.all([blob, queue, table].map((server) => new Promise((resolve) => server.close(resolve))));
    return ports;
}

async function listenOnAnyPort(): Promise<net.Server> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, HOST, resolve));
    return server;
}

interface LaunchOptions {
    location: string;
    ports: Ports;
    accountKey: string;
    inMemory: boolean;
}

async function launch(script: string, options: LaunchOptions): Promise<RunningAzurite> {
    const { location, ports, accountKey, inMemory } = options;
    const args = [
        // @azure/storage-blob 12.31 sends x-ms-version 2026-02-06, newer than Azurite 3.35.0's 2025-11-05.
        ...['--skipApiVersionCheck', '--loose', '--disableTelemetry', '--silent'],
        // Azurite refuses --location together with --inMemoryPersistence.
        ...(inMemory ? ['--inMemoryPersistence'] : ['--location', location]),
        ...['--blobHost', HOST, '--queueHost', HOST, '--tableHost', HOST],
        ...['--blobPort', String(ports.blob), '--queuePort', String(ports.queue), '--tablePort', String(ports.table)],
    ];
    // Azurite takes its accounts from AZURITE_ACCOUNTS, which replaces the well-known one; the environment,
    // unlike the arguments, is not visible to other local users. Azurite falls back to the well-known key
    // on a value it cannot parse, hence KEY_FORMAT.
    // https://github.com/Azure/Azurite#customized-storage-accounts--keys
    const env = {
        ...process.env,
        AZURITE_ACCOUNTS: `${ACCOUNT_NAME}:${accountKey}`,
        AZURITE_LOKI_AUTOSAVE_INTERVAL_MS: String(AUTOSAVE_INTERVAL_MS),
    };
    // cwd is `location`, so nothing Azurite writes lands in the caller's working directory.
    const child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, script, ...args], {
        cwd: location,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
    });
    const stderr = child.stderr as net.Socket;
    let stderrTail = '';
    stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stopOnExit = () => child.kill('SIGTERM');
    process.on('exit', stopOnExit);
    void exited.then(() => process.off('exit', stopOnExit));

    const endpoints = {
        blob: `http://${HOST}:${ports.blob}/${ACCOUNT_NAME}`,
        queue: `http://${HOST}:${ports.queue}/${ACCOUNT_NAME}`,
        table: `http://${HOST}:${ports.table}/${ACCOUNT_NAME}`,
    };
    try {
        await once(child, 'spawn');
        await waitUntilServing(child, endpoints);
    } catch (error) {
        if (child.pid !== undefined) {
            child.kill('SIGKILL');
            await exited;
        }
        const said = stderrTail.trim().replace(/\s*\n\s*/g, ' | ');
        const reason = error instanceof Error ? error.message : String(error);
        throw new StorageError(`Azurite did not start: ${reason}.${said ? ` Azurite said: ${said}` : ''}`, {
            cause: error,
        });
    }
    // A caller that forgets stop() must not be kept alive by Azurite; the exit handler still stops it.
    child.unref();
    stderr.unref();

    return {
        connectionString: [
            'DefaultEndpointsProtocol=http',
            `AccountName=${ACCOUNT_NAME}`,
            `AccountKey=${accountKey}`,
            `BlobEndpoint=${endpoints.blob}`,
            `QueueEndpoint=${endpoints.queue}`,
            `TableEndpoint=${endpoints.table}`,
        ].join(';'),
        blobEndpoint: endpoints.blob,
        queueEndpoint: endpoints.queue,
        tableEndpoint: endpoints.table,
        stop: () => stop(child, exited, inMemory ? STOP_GRACE_MS.inMemory : STOP_GRACE_MS.onDisk),
    };
}

/** Polls until Azurite answers on its blob and table endpoints (table starts last). */
async function waitUntilServing(child: ChildProcess, endpoints: { blob: string; table: string }): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (const [service, url] of [
        ['Blob', endpoints.blob],
        ['Table', endpoints.table],
    ] as const) {
        while (!(await answersAs(`Azurite-${service}`, url))) {
            if (child.exitCode !== null || child.signalCode !== null) {
                throw new Error(
                    `it exited (${child.exitCode ?? child.signalCode}) before its ${service} endpoint ${url} answered`,
                );
            }
            if (Date.now() > deadline) {
                throw new Error(`its ${service} endpoint ${url} did not answer within ${READY_TIMEOUT_MS / 1000} s`);
            }
            await delay(100);
        }
    }
}

/**
 * Whether `url` answers with Azurite's Server header (any status: an unauthenticated GET gets 400), so
 * another program that grabbed the port is not mistaken for Azurite.
 */
function answersAs(server: string, url: string): Promise<boolean> {
    return new Promise((resolve) => {
        const request = http.get(url, { agent: false, timeout: 1_000 }, (response) => {
            response.resume();
            resolve(String(response.headers.server).startsWith(server));
        });
        request.on('timeout', () => request.destroy());
        request.on('error', () => resolve(false));
    });
}

async function stop(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.ref(); // keeps this process alive until the exit we wait for
    child.kill('SIGTERM');
    const forceKill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(forceKill);
}
