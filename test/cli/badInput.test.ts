import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';

import { runCli } from '../support/cli';
import { createHarness, type Harness } from '../support/harness';
import { testConnectionString, uniquePrefix } from '../support/storage';

/** A stack trace line, which a user should never see for a mistake of theirs. */
const STACK = /^\s+at /m;

/** The containers and tables whose names start with `prefix`: what a command may have created. */
async function storageNamed(prefix: string): Promise<string[]> {
    const connectionString = testConnectionString();
    const names: string[] = [];
    for await (const container of BlobServiceClient.fromConnectionString(connectionString).listContainers({ prefix })) {
        names.push(`container ${container.name}`);
    }
    for await (const table of TableServiceClient.fromConnectionString(connectionString, {
        allowInsecureConnection: true,
    }).listTables()) {
        if (table.name?.startsWith(prefix)) names.push(`table ${table.name}`);
    }
    return names.sort();
}

describe('the CLI given bad input', () => {
    let h: Harness;
    let storageEnv: Record<string, string>;

    beforeAll(async () => {
        h = await createHarness();
        h.sim.tenant.addUser({ upn: 'alice@contoso.com' }).addMessage('Inbox', { subject: 'hi' });
        const prefix = uniquePrefix();
        storageEnv = {
            BACKUP_STORAGE_CONNECTION_STRING: testConnectionString(),
            BACKUP_TABLE_PREFIX: prefix,
            BACKUP_CONTAINER: prefix,
        };
    });
    afterAll(async () => h.close());

    function expectOneClearLine(result: { code: number | null; stderr: string; stdout: string }, text: RegExp) {
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(text);
        expect(result.stderr).not.toMatch(STACK);
        expect(result.stdout + result.stderr).not.toContain(h.env.EXCHANGE_CLIENT_SECRET);
    }

    it('rejects an unknown option', async () => {
        expectOneClearLine(await runCli(['backup', '--weekly'], {}), /unknown option '--weekly'/);
    });

    it('rejects an unknown backup type, naming the allowed ones', async () => {
        expectOneClearLine(await runCli(['backup', '--type', 'weekly'], {}), /full, incremental/);
    });

    it('rejects a --max-emails that is not a positive number', async () => {
        expectOneClearLine(await runCli(['backup', '--max-emails', 'lots'], {}), /positive whole number/);
    });

    it('says which env file it cannot read', async () => {
        expectOneClearLine(
            await runCli(['--env-file', '/nonexistent/.env.exchange', 'backup'], {}),
            // Node 20 itself reads --env-file wherever it appears and stops first, with its own one line.
            /Cannot read the env file \/nonexistent\/\.env\.exchange|\/nonexistent\/\.env\.exchange: not found/,
        );
    });

    it('names each missing credential setting in turn', async () => {
        expectOneClearLine(await runCli(['backup'], { ...storageEnv }), /No Microsoft Graph credentials/);
        const { EXCHANGE_TENANT_ID: _t, ...noTenant } = h.env;
        expectOneClearLine(await runCli(['backup'], { ...storageEnv, ...noTenant }), /EXCHANGE_TENANT_ID is not set/);
        const { EXCHANGE_CLIENT_ID: _c, ...noClient } = h.env;
        expectOneClearLine(await runCli(['backup'], { ...storageEnv, ...noClient }), /EXCHANGE_CLIENT_ID is not set/);
        const { EXCHANGE_CLIENT_SECRET: _s, ...noSecret } = h.env;
        expectOneClearLine(
            await runCli(['backup'], { ...storageEnv, ...noSecret }),
            /EXCHANGE_CLIENT_SECRET is not set/,
        );
    });

    it('explains a wrong client secret by its AADSTS code, without printing the secret', async () => {
        const result = await runCli(['backup'], { ...storageEnv, ...h.env, EXCHANGE_CLIENT_SECRET: 'not-the-secret' });
        expectOneClearLine(result, /AADSTS7000215.*EXCHANGE_CLIENT_SECRET/);
        expect(result.stderr).not.toContain('not-the-secret');
    });

    it('leaves the storage account as it found it when the command line or the sign-in is refused', async () => {
        const refused: [string[], Record<string, string>, RegExp][] = [
            [['weekly'], h.env, /unknown command 'weekly'/],
            [['backup', '--type', 'weekly'], h.env, /full, incremental/],
            [['backup'], { ...h.env, EXCHANGE_CLIENT_SECRET: 'not-the-secret' }, /AADSTS7000215/],
            [['restore', '--mailbox', 'alice@contoso.com'], { ...h.env, EXCHANGE_CLIENT_SECRET: 'x' }, /AADSTS7000215/],
            [['restore', '--mailbox', 'alice@contoso.com', '--as-of', 'yesterday'], h.env, /--as-of/],
            [['export', '--mailbox', 'alice@contoso.com', '--out', os.tmpdir(), '--as-of', 'soon'], {}, /--as-of/],
            [['export', '--mailbox', 'alice@contoso.com', '--out', os.tmpdir(), '--folder', ' '], {}, /--folder/],
        ];
        for (const [args, env, message] of refused) {
            // Names of its own, so that only this command could have created them.
            const prefix = uniquePrefix();
            const before = await storageNamed(prefix);
            const result = await runCli(args, {
                ...env,
                BACKUP_STORAGE_CONNECTION_STRING: testConnectionString(),
                BACKUP_TABLE_PREFIX: prefix,
                BACKUP_CONTAINER: prefix,
            });
            expectOneClearLine(result, message);
            expect(await storageNamed(prefix), args.join(' ')).toEqual(before);
        }
    });

    it('explains an unknown tenant', async () => {
        const result = await runCli(['backup'], {
            ...storageEnv,
            ...h.env,
            EXCHANGE_TENANT_ID: '00000000-0000-0000-0000-000000000000',
        });
        expectOneClearLine(result, /EXCHANGE_TENANT_ID/);
    });

    it('refuses an http:// Graph endpoint', async () => {
        const result = await runCli(['backup'], { ...storageEnv, ...h.env, GRAPH_ENDPOINT: 'http://graph.example' });
        expectOneClearLine(result, /GRAPH_ENDPOINT must be an https:\/\/ URL/);
    });

    it('says so when Graph does not answer', async () => {
        const result = await runCli(['backup'], { ...storageEnv, ...h.env, GRAPH_ENDPOINT: 'https://127.0.0.1:9' });
        expectOneClearLine(result, /Microsoft Graph/);
    });

    it('says so when the storage account does not answer', async () => {
        const result = await runCli(['stats'], {
            BACKUP_STORAGE_CONNECTION_STRING:
                'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
        });
        expectOneClearLine(result, /Azure Storage/);
        expect(result.stderr).not.toContain('Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq');
    });

    it('reads credentials from an env file and exits 0 when every mailbox succeeded', async () => {
        const envFile = path.join(os.tmpdir(), `mail-backup-${uniquePrefix()}.env`);
        writeFileSync(
            envFile,
            Object.entries(h.env)
                .map(([k, v]) => `${k}=${v}`)
                .join('\n'),
        );
        const result = await runCli(['--env-file', envFile, 'backup', '--type', 'full'], { ...storageEnv });
        expect(result.stderr).not.toMatch(STACK);
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/SUCCEEDED/);
        expect(result.stdout).toMatch(/1 new/);
    });
});
