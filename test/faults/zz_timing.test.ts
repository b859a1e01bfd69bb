import { it } from 'vitest';
import { openStorage } from '../../src/store/storage';
import { runCli } from '../support/cli';
import { createHarness } from '../support/harness';
import { testConnectionString, uniquePrefix } from '../support/storage';

it('timing', async () => {
    const h = await createHarness({ latencyMs: 5 });
    const prefix = uniquePrefix();
    await openStorage({ connectionString: testConnectionString(), tablePrefix: prefix, container: prefix });
    const env = { ...h.env, BACKUP_STORAGE_CONNECTION_STRING: testConnectionString(), BACKUP_TABLE_PREFIX: prefix, BACKUP_CONTAINER: prefix };
    const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
    for (let i = 0; i < 400; i++) alice.addMessage('Inbox', { subject: `inbox ${i}` });
    let t = Date.now();
    const r = await runCli(['backup', '--type', 'full', '--format', 'eml'], env);
    console.log('cli', Date.now() - t, r.code, r.stdout.slice(-600), r.stderr.slice(-300));
    const alice2 = h.sim.tenant.addUser({ upn: 'bob@contoso.com' });
    for (let i = 0; i < 400; i++) alice2.addMessage('Inbox', { subject: `inbox ${i}` });
    t = Date.now();
    await h.backup({ type: 'full', format: 'eml', mailbox: ['bob@contoso.com'] });
    console.log('inproc', Date.now() - t);
    t = Date.now();
    const r2 = await runCli(['backup', '--type', 'incremental', '--format', 'eml', '--mailbox', 'alice@contoso.com'], env);
    console.log('cli noop', Date.now() - t, r2.code);
    await h.close();
}, 120000);
