/**
 * One 120 MB message whose bulk is a single 88 MB attachment, backed up the way a person runs the CLI
 * (`npm run cli -- backup`), with the peak resident memory of the whole process tree: npm, the shell it starts and
 * every node process below, summed at each sample. Memory must stay bounded whatever the size of a message.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { startSimulator } from '../sim';
import { generateTenant } from '../sim/model/demoTenant';
import { mailboxUsers } from './tenants';
import type { BenchContext, Outcome } from './scenarios';

const MIB = 1024 * 1024;
const MESSAGE_BYTES = 120 * MIB;
const ATTACHMENT_BYTES = 88 * MIB;
const PEAK_TREE_RSS_LIMIT_MB = 256;
const SAMPLE_MS = 25;
const ROOT = path.resolve(__dirname, '../..');

export async function largeAttachmentThroughCli(ctx: BenchContext): Promise<Outcome> {
    const tenant = generateTenant({ mailboxes: 1, messagesPerMailbox: 0, seed: 42 });
    const [user] = mailboxUsers(tenant);
    user?.addMessage('Inbox', {
        subject: 'Site survey footage',
        size: MESSAGE_BYTES,
        attachments: [{ name: 'survey.mp4', contentType: 'video/mp4', size: ATTACHMENT_BYTES }],
    });
    const sim = await startSimulator({
        tenant,
        certDir: ctx.certDir,
        latencyMs: ctx.conditions.latencyMs,
        bandwidthBytesPerSec: ctx.conditions.bandwidthBytesPerSec,
    });
    try {
        const env = {
            ...process.env,
            ...sim.settings,
            NODE_EXTRA_CA_CERTS: ctx.engine.caCertPath,
            BACKUP_STORAGE_CONNECTION_STRING: ctx.connectionString,
            BACKUP_TABLE_PREFIX: 'cliTree',
            BACKUP_CONTAINER: 'cli-tree',
        };
        const started = performance.now();
        const child = spawn('npm', ['run', '--silent', 'cli', '--', 'backup', '--type', 'full'], { cwd: ROOT, env });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
        let peakMb = 0;
        let processes = 0;
        let breakdown = '';
        let done = false;
        void exited.then(() => (done = true));
        while (!done) {
            const tree = await treeRss(child.pid ?? 0);
            if (tree.mb > peakMb) [peakMb, processes, breakdown] = [tree.mb, tree.processes, tree.breakdown];
            await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
        }
        const code = await exited;
        const wall = (performance.now() - started) / 1000;
        const downloaded = sim.counters.valueDownloads.length;
        ctx.note(`CLI exited ${code} after ${wall.toFixed(1)} s; tree peak ${peakMb.toFixed(0)} MB: ${breakdown}`);
        if (code !== 0) ctx.note(output.trim().split('\n').slice(-5).join(' | '));
        return {
            rows: [],
            checks: [
                {
                    target: `CLI process tree, one 120 MB message with an 88 MB attachment: peak RSS < ${PEAK_TREE_RSS_LIMIT_MB} MB`,
                    met: code === 0 && downloaded === 1 && peakMb < PEAK_TREE_RSS_LIMIT_MB,
                    figure:
                        `${peakMb.toFixed(0)} MB summed over ${processes} processes (npm → node), ` +
                        `${wall.toFixed(1)} s, exit ${code}, ${sim.counters.value} $value`,
                },
            ],
        };
    } finally {
        await sim.close();
    }
}

/** Resident memory of a process and all its descendants, from /proc (Linux). */
async function treeRss(rootPid: number): Promise<{ mb: number; processes: number; breakdown: string }> {
    const parents = new Map<number, number>();
    const rss = new Map<number, number>();
    const names = new Map<number, string>();
    for (const entry of await readdir('/proc')) {
        const pid = Number(entry);
        if (!Number.isInteger(pid)) continue;
        try {
            const status = await readFile(`/proc/${pid}/status`, 'utf8');
            parents.set(pid, Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0));
            rss.set(pid, Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0));
            names.set(pid, /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?');
        } catch {
            // The process ended between the listing and the read.
        }
    }
    const inTree = (pid: number): boolean => {
        for (let p = pid; p > 1; p = parents.get(p) ?? 0) if (p === rootPid) return true;
        return false;
    };
    let kb = 0;
    const parts: string[] = [];
    for (const [pid, value] of rss) {
        if (!inTree(pid)) continue;
        kb += value;
        parts.push(`${names.get(pid)} ${(value / 1024).toFixed(0)} MB`);
    }
    return { mb: kb / 1024, processes: parts.length, breakdown: parts.join(', ') };
}
