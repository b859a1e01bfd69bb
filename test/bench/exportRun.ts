/**
 * Export throughput: a mailbox is backed up untimed, then `export` runs as a user runs it (the CLI, in its own
 * process) against the same Azurite, timed from spawn to exit. Messages per minute and MB/s are of the
 * exported files (MB = 2^20 bytes), checked byte for byte by the export itself as it writes them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { startSimulator, type Tenant } from '../sim';
import { runCli } from '../support/cli';
import { runEngine } from './engineJob';
import type { BenchContext, Outcome } from './scenarios';
import { demoTenant, largeMessageTenant, mailboxUsers } from './tenants';

const MIB = 1024 * 1024;

export async function exportThroughput(ctx: BenchContext): Promise<Outcome> {
    const many = await timedExport(ctx, demoTenant(1, 1_500), 'eml', '1 × 1,500 messages');
    const mbox = await timedExport(ctx, demoTenant(1, 1_500), 'mbox', '1 × 1,500 messages, mbox');
    const large = await timedExport(ctx, largeMessageTenant(120 * MIB), 'eml', 'one 120 MB message');
    return {
        rows: [],
        checks: [many, mbox, large].map((run) => ({
            target: `export ${run.label}: every message exported`,
            met: run.ok,
            figure:
                `${run.messages} messages, ${run.mb.toFixed(1)} MB in ${run.seconds.toFixed(1)} s: ` +
                `${((run.messages / run.seconds) * 60).toFixed(0)} messages/min, ${(run.mb / run.seconds).toFixed(1)} MB/s`,
        })),
    };
}

async function timedExport(ctx: BenchContext, tenant: Tenant, format: 'eml' | 'mbox', label: string) {
    const prefix = `x${Date.now().toString(16).slice(-12).padStart(12, '0')}`;
    const sim = await startSimulator({ tenant, certDir: ctx.certDir, requestsPerWindow: Number.MAX_SAFE_INTEGER });
    const env = sim.settings;
    try {
        await runEngine({ type: 'full', env, connectionString: ctx.connectionString, prefix }, ctx.engine);
    } finally {
        await sim.close();
    }
    const [user] = mailboxUsers(tenant);
    const expected = user?.messages() ?? [];
    const out = await mkdtemp(path.join(os.tmpdir(), 'bench-export-'));
    try {
        const started = performance.now();
        const result = await runCli(
            ['export', '--mailbox', user?.upn ?? '', '--out', path.join(out, 'x'), '--format', format],
            {
                BACKUP_STORAGE_CONNECTION_STRING: ctx.connectionString,
                BACKUP_TABLE_PREFIX: prefix,
                BACKUP_CONTAINER: prefix,
            },
        );
        const seconds = (performance.now() - started) / 1000;
        const messages = Number(/exported: (\d+) messages/.exec(result.stdout)?.[1] ?? 0);
        const mb = expected.reduce((sum, m) => sum + m.size, 0) / MIB;
        ctx.note(`export ${label}: ${result.stdout.trim().split('\n').join(' / ')}`);
        return { label, ok: result.code === 0 && messages === expected.length, messages, mb, seconds };
    } finally {
        await rm(out, { recursive: true, force: true });
    }
}
