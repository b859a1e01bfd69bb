/**
 * `npm run demo`: the whole product on one machine, without a tenant. Starts the Graph simulator
 * with a generated tenant, then runs the real CLI (which starts its embedded Azurite) three times —
 * full, after some changes, and with nothing changed — and prints the stats report.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import path from 'node:path';

import { createTestCertificates, generateTenant, startSimulator } from '../test/sim';

const ROOT = path.resolve(__dirname, '..');
const DATA = path.join(ROOT, '.mail-backup', 'demo');

async function main(): Promise<void> {
    rmSync(DATA, { recursive: true, force: true });
    const certDir = path.join(DATA, 'certs');
    const { caCertPath } = await createTestCertificates(certDir);
    const tenant = generateTenant({ mailboxes: 20, messagesPerMailbox: 150, seed: 7 });
    const sim = await startSimulator({ tenant, certDir, latencyMs: 5 });
    const env = {
        ...process.env,
        ...sim.settings,
        NODE_EXTRA_CA_CERTS: caCertPath,
        BACKUP_LOCAL_DATA: DATA,
    };
    // The simulator answers from this process, so the CLI runs beside it, not blocking it.
    const cli = async (...args: string[]) => {
        sim.resetCounters();
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
            env,
            stdio: 'inherit',
        });
        const [code] = (await once(child, 'close')) as [number | null];
        const c = sim.counters;
        console.log(
            `  simulator saw: ${c.total} Graph requests (${c.delta} delta, ${c.value} $value, ${c.folders} folder listings, ` +
                `${c.message} message, ${c.attachmentValue} attachment downloads), ${c.throttled} throttled\n`,
        );
        return code ?? 1;
    };
    try {
        console.log('\n== 1. full backup of a new tenant ==');
        await cli('backup', '--type', 'full');
        console.log('== 2. incremental after a day of mail: new, read, flagged, moved, deleted ==');
        simulateADay(tenant);
        await cli('backup');
        console.log('== 3. incremental with nothing changed ==');
        await cli('backup');
        console.log('== stats ==');
        await cli('stats', '--days', '1');
    } finally {
        await sim.close();
    }
}

function simulateADay(tenant: ReturnType<typeof generateTenant>): void {
    for (const user of tenant.users().filter((u) => u.hasMailbox)) {
        const messages = user.messages();
        messages.slice(0, 3).forEach((m) => user.markRead(m.id, !m.isRead));
        messages.slice(3, 5).forEach((m) => user.setFlag(m.id, 'flagged'));
        messages.slice(5, 6).forEach((m) => user.moveMessage(m.id, 'Archive'));
        messages.slice(6, 7).forEach((m) => user.deleteMessage(m.id));
        for (let i = 0; i < 2; i++) user.addMessage('Inbox', { subject: `New today ${i}` });
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
