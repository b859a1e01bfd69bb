#!/usr/bin/env node
import type { Client } from '@microsoft/microsoft-graph-client';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { AuthenticationError, BackupError, ConfigError, type EngineInput, InputError } from '../common/errors';
import { backupCommand, type BackupCommandOptions } from './backupCommand';
import { cleanupCommand } from './cleanupCommand';
import { type CliEnvironment, openCliStorage, readEnvironment } from './environment';
import { exportCommand, type ExportCommandOptions } from './exportCommand';
import { exportIndexCommand } from './exportIndexCommand';
import { folderPath, parseAsOf } from './recoveryInput';
import { rebuildIndexCommand } from './rebuildIndexCommand';
import { restoreCommand, type RestoreCommandOptions } from './restoreCommand';
import { signInToGraph } from './signIn';
import { statsCommand } from './statsCommand';
import { sampleFraction, verifyCommand, type VerifyCommandOptions } from './verifyCommand';

/** Exit codes: 0 all good, 1 the run failed or was partial, 2 bad input, configuration or credentials. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function positiveInteger(value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number.');
    return n;
}

function collect(value: string, previous: string[]): string[] {
    return [...previous, value];
}

/**
 * Runs a command once its arguments were accepted (Commander checks them, `--as-of` and `--folder`
 * included, before this is called): reads the settings, opens storage (an embedded Azurite if none is
 * configured), runs the command and always closes it.
 */
async function withEnvironment(
    command: Command,
    action: (environment: CliEnvironment) => Promise<number>,
): Promise<void> {
    const { envFile } = command.optsWithGlobals<{ envFile?: string }>();
    await runInStorage(readEnvironment(envFile), action);
}

/**
 * As withEnvironment, for a command that speaks to Microsoft Graph: it signs in first, so a credential
 * mistake is reported before anything is created in storage (no container, no table, no run row).
 */
async function withGraph(
    command: Command,
    action: (environment: CliEnvironment, client: Client) => Promise<number>,
): Promise<void> {
    const { envFile } = command.optsWithGlobals<{ envFile?: string }>();
    const env = readEnvironment(envFile);
    const client = await signInToGraph(env);
    await runInStorage(env, (environment) => action(environment, client));
}

async function runInStorage(
    env: ReturnType<typeof readEnvironment>,
    action: (environment: CliEnvironment) => Promise<number>,
): Promise<void> {
    const environment = await openCliStorage(env);
    try {
        process.exitCode = await action(environment);
    } finally {
        await environment.close();
    }
}

function buildProgram(): Command {
    const program = new Command('mail-backup')
        .description('Incremental backup of every Exchange Online mailbox into Azure Table and Blob Storage.')
        .option('--env-file <path>', 'read settings (EXCHANGE_TENANT_ID, ...) from a .env file')
        .showHelpAfterError()
        .exitOverride();

    program
        .command('backup')
        .description('back up every mailbox (or those named with --mailbox)')
        .addOption(
            new Option('--type <type>', 'full re-enumerates every folder')
                .choices(['full', 'incremental'])
                .default('incremental'),
        )
        .option('--mailbox <upn>', 'only this mailbox (repeatable)', collect, [])
        .option('--exclude <upn>', 'skip this mailbox (repeatable)', collect, [])
        .addOption(
            new Option('--format <format>', 'what to store per message')
                .choices(['eml', 'json', 'both'])
                .default('both'),
        )
        .option('--no-attachments', 'do not store attachment content in the JSON copy')
        .option('--no-folders', 'no folder structure in browsable paths')
        .option('--max-emails <n>', 'download at most n messages per mailbox this run', positiveInteger)
        .option('--parallel <n>', 'mailboxes backed up side by side', positiveInteger, 8)
        .action(async (options: BackupCommandOptions, command: Command) =>
            withGraph(command, (environment, client) => backupCommand(environment, client, options)),
        );

    program
        .command('stats')
        .description('report runs, messages, bytes and recent history')
        .option('--days <n>', 'runs of the last n days', positiveInteger, 30)
        .option('--json', 'print JSON instead of text')
        .action(async (options: { days: number; json?: boolean }, command: Command) =>
            withEnvironment(command, (environment) => statsCommand(environment, options)),
        );

    program
        .command('cleanup')
        .description('drop run history and superseded versions older than n days, and unreferenced blobs')
        .requiredOption('--days <n>', 'retention in days', positiveInteger)
        .action(async (options: { days: number }, command: Command) =>
            withEnvironment(command, (environment) => cleanupCommand(environment, options)),
        );

    program
        .command('export-index')
        .description('write the checksum index as JSON')
        .requiredOption('--out <file>', 'output file')
        .action(async (options: { out: string }, command: Command) =>
            withEnvironment(command, (environment) => exportIndexCommand(environment, options)),
        );

    program
        .command('export')
        .description("write a mailbox's messages as .eml files (or mbox), as of now or a past backup")
        .requiredOption('--mailbox <upn|id>', 'the mailbox')
        .requiredOption('--out <dir>', 'a new or empty folder')
        .option(
            '--as-of <time>',
            'as the last backup completed by then saw it (ISO 8601; UTC unless a zone is given)',
            parseAsOf,
        )
        .option('--folder <path>', 'only this folder and its subfolders, e.g. "Inbox/Projects"', folderPath)
        .addOption(new Option('--format <format>', 'file format').choices(['eml', 'mbox']).default('eml'))
        .option('--no-folders', 'every file in the export folder itself')
        .action(async (options: ExportCommandOptions, command: Command) =>
            withEnvironment(command, (environment) => exportCommand(environment, options)),
        );

    program
        .command('restore')
        .description('recreate backed-up messages in a new folder "Restored <time>"; nothing is overwritten')
        .requiredOption('--mailbox <upn|id>', 'the backed-up mailbox to restore')
        .option('--to <upn|id>', 'restore into this mailbox instead of the original')
        .option(
            '--as-of <time>',
            'as the last backup completed by then saw it (ISO 8601; UTC unless a zone is given)',
            parseAsOf,
        )
        .option('--folder <path>', 'only this folder and its subfolders, e.g. "Inbox/Projects"', folderPath)
        .option('--message <id>', 'only this message (its immutable id, as export-index lists it)')
        .option('--restore-id <id>', 'continue an earlier restore: what it restored is not restored again')
        .action(async (options: RestoreCommandOptions, command: Command) =>
            withGraph(command, (environment, client) => restoreCommand(environment, client, options)),
        );

    program
        .command('verify')
        .description('re-read stored content and check it against the index; exit 1 on any problem')
        .option('--mailbox <upn|id>', 'only this mailbox')
        .option('--sample <fraction>', 'share of content to re-hash (0 to 1)', sampleFraction, 1)
        .action(async (options: VerifyCommandOptions, command: Command) =>
            withEnvironment(command, (environment) => verifyCommand(environment, options)),
        );

    program
        .command('rebuild-index')
        .description('write the index tables back from the snapshots in the blob container')
        .option('--mailbox <id|upn>', 'only this mailbox')
        .action(async (options: { mailbox?: string }, command: Command) =>
            withEnvironment(command, (environment) => rebuildIndexCommand(environment, options)),
        );
    return program;
}

export async function main(argv: string[]): Promise<void> {
    try {
        await buildProgram().parseAsync(argv);
    } catch (error) {
        process.exitCode = reportError(error);
    }
}

/** The flag that gives the engine each of its inputs: its errors speak of the input, a person knows the flag. */
const FLAGS: Record<EngineInput, string> = {
    source: '--mailbox',
    target: '--to',
    asOf: '--as-of',
    folder: '--folder',
    messageId: '--message',
    restoreId: '--restore-id',
    outputFolder: '--out',
};

/** One line a person can act on; never a stack trace for a mistake in input or configuration. */
function reportError(error: unknown): number {
    if (error instanceof CommanderError) {
        // Commander has already printed its message (unknown option, bad choice, help).
        return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof InputError) {
        process.stderr.write(`error: ${FLAGS[error.input]}: ${error.detail}\n`);
        return EXIT_USAGE;
    }
    if (error instanceof BackupError) {
        process.stderr.write(`error: ${error.userMessage}\n`);
        return error instanceof ConfigError || error instanceof AuthenticationError ? EXIT_USAGE : EXIT_FAILED;
    }
    process.stderr.write(`error: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.MAIL_BACKUP_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return EXIT_FAILED;
}

if (require.main === module) void main(process.argv);
