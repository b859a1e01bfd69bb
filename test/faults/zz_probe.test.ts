import { it, expect } from 'vitest';
import { createHarness } from '../support/harness';
import { expectBackupMatches, indexOf } from '../support/truth';

it('probe', async () => {
    const h = await createHarness();
    const alice = h.sim.tenant.addUser({ upn: 'alice@contoso.com' });
    const subjects = ['nul \u0000 here', 'ctl \u0001\u0007\u001b[31m', 'rtl \u202e evil', 'lone \ud800 surrogate', 'emoji 🦄 ok', 'x'.repeat(255)];
    const ms = subjects.map((s) => alice.addMessage('Inbox', { subject: s }));
    const { run, outcomes } = await h.backup({ type: 'full' });
    console.log(run.status, outcomes.map((o) => o.outcome.reason), h.logs.filter(l => l.startsWith('WARN')));
    const index = await indexOf(h.storage, alice.id);
    for (const m of ms) console.log(JSON.stringify(m.subject), JSON.stringify(index.get(m.id)?.subject));
    await expectBackupMatches(h.storage, alice);
    await h.close();
});
