import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

import type { CliResult } from './cli';

const ROOT = path.resolve(__dirname, '../..');

export interface RunningCli {
    /** The process, to signal it. */
    child: ChildProcess;
    /** Settles when the process has exited, however it ended. */
    exited: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** Starts the CLI as `runCli` does, but hands back the running process so a test can kill it mid-run. */
export function startCli(args: string[], env: Record<string, string>): RunningCli {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
        cwd: ROOT,
        env: {
            PATH: process.env.PATH ?? '',
            NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '',
            ...env,
        },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, exited };
}
