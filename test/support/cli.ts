import { startCli } from './cliProcess';

export interface CliResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs the CLI as a user would (`npm run cli -- ...`), in its own process, with exactly `env`, to its end. */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
    const { code, stdout, stderr } = await startCli(args, env).exited;
    return { code, stdout, stderr };
}
