/**
 * Running the engine for one measurement in a process of its own (engineRun.ts), so that its peak memory
 * and CPU time are the engine's alone: the simulator stays in the bench's process, Azurite in its own.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

import type { RunCounters, RunType } from '../../src/store/entities';

export interface EngineJob {
    type: RunType;
    /** The simulator's settings, as a user would give them. */
    env: Record<string, string>;
    connectionString: string;
    /** Table prefix and container name: one set per scenario. */
    prefix: string;
}

export interface MailboxResult {
    userPrincipalName: string;
    status: string;
    bytesDownloaded: number;
}

export interface EngineResult {
    status: string;
    wallSeconds: number;
    /** User + system CPU of the engine's process during the run. */
    cpuSeconds: number;
    /** Peak resident set of the engine's process over its whole life. */
    maxRssMb: number;
    counters: RunCounters;
    mailboxes: MailboxResult[];
    warnings: string[];
}

export interface EngineProcessOptions {
    /** The simulator's CA, which Node trusts only when told at process start. */
    caCertPath: string;
    /** Write a V8 CPU profile of the engine's process here. */
    profileDir?: string;
}

export const RESULT_MARKER = 'RESULT ';

const ENGINE_SCRIPT = path.join(__dirname, 'engineRun.ts');

export function runEngine(job: EngineJob, options: EngineProcessOptions): Promise<EngineResult> {
    return runMeasured<EngineResult>(ENGINE_SCRIPT, job, options, 'the engine process');
}

/** Runs a bench script in its own process and resolves to the result it prints after RESULT_MARKER. */
export function runMeasured<T>(script: string, job: unknown, options: EngineProcessOptions, what: string): Promise<T> {
    const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', script, JSON.stringify(job)], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: options.caCertPath },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code) => {
            const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
            if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as T);
            else reject(new Error(`${what} exited with ${code}: ${stderr.trim() || stdout.trim()}`));
        });
    });
}
