import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { SimUser } from '../sim';
import { runCli } from '../support/cli';
import { startCli } from '../support/cliProcess';
import { createHarness, type Harness } from '../support/harness';
import { testConnectionString } from '../support/storage';

const MESSAGES = 60;

describe('a restore interrupted with Ctrl-C', () => {
    let h: Harness;
    let alice: SimUser;
    let bob: SimUser;
    let env: Record<string, string>;

    beforeEach(async () => {
        h = await createHarness({ latencyMs: 20 });
        alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
        bob = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
        for (let i = 0; i < MESSAGES; i++) alice.addMessage('Inbox', { subject: `note ${i}` });
        env = {
            ...h.env,
            BACKUP_STORAGE_CONNECTION_STRING: testConnectionString(),
            BACKUP_TABLE_PREFIX: h.prefix,
            BACKUP_CONTAINER: h.prefix,
        };
        await h.backup({ type: 'full' });
    });
    afterEach(async () => h.close());

    it('stops after the messages in flight, and the same restore id finishes it without duplicates', async () => {
        const cli = startCli(['restore', '--mailbox', alice.upn, '--to', bob.upn], env);
        while (h.sim.counters.write < 10) {
            const exited = await Promise.race([cli.exited, new Promise((resolve) => setTimeout(resolve, 20))]);
            if (exited) throw new Error(`the restore ended before it could be interrupted: ${JSON.stringify(exited)}`);
        }
        cli.child.kill('SIGINT');
        const stopped = await cli.exited;

        expect(stopped.code, stopped.stderr).toBe(130);
        const restoreId = /--restore-id (\S+)/.exec(stopped.stdout)?.[1];
        expect(restoreId, stopped.stdout).toBeDefined();
        const partly = bob.messages().length;
        expect(partly).toBeGreaterThan(0);
        expect(partly).toBeLessThan(MESSAGES);

        const rerun = await runCli(
            ['restore', '--mailbox', alice.upn, '--to', bob.upn, '--restore-id', restoreId!],
            env,
        );

        expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
        const subjects = bob.messages().map((m) => m.subject);
        expect(subjects).toHaveLength(MESSAGES);
        expect(new Set(subjects).size).toBe(MESSAGES);
    });
});
