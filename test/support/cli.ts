import { spawn } from 'node:child_process';
import path from 'node:path';

export interface CliResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

const ROOT = path.resolve(__dirname, '../..');

/** Runs the CLI as a user would (`npm run cli -- ...`), in its own process, with exactly `env`. */
export function runCli(args: string[], env: Record<string, string>, cwd = ROOT): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
            cwd,
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
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
}
