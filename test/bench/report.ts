/**
 * The benchmark's output: a fixed-width markdown table, one row per scenario in a stable column order,
 * the targets met or not, and the same as JSON for tools.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { Conditions, Row } from './measure';
import type { Check } from './scenarios';

interface Column {
    title: string;
    value(row: Row): string;
}

const integer = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const fixed = (digits: number) => (n: number) => n.toFixed(digits);

const COLUMNS: Column[] = [
    { title: 'scenario', value: (r) => r.scenario },
    { title: 'messages', value: (r) => integer(r.messages) },
    { title: 'mbx', value: (r) => integer(r.mailboxes) },
    { title: 'folders', value: (r) => integer(r.folders) },
    { title: 'users', value: (r) => integer(r.requests.users) },
    { title: 'lists', value: (r) => integer(r.requests.folders) },
    { title: 'delta', value: (r) => integer(r.requests.delta) },
    { title: 'msg', value: (r) => integer(r.requests.message) },
    { title: 'attach', value: (r) => integer(r.requests.attachments) },
    { title: '$value', value: (r) => integer(r.requests.value) },
    { title: 'total', value: (r) => integer(r.requests.total) },
    { title: 'max/mbx', value: (r) => integer(r.maxRequestsPerMailbox) },
    { title: '429', value: (r) => integer(r.throttled) },
    { title: 'MB down', value: (r) => fixed(1)(r.mbDownloaded) },
    { title: 'MB stored', value: (r) => fixed(1)(r.mbStored) },
    { title: 'wall s', value: (r) => fixed(1)(r.wallSeconds) },
    { title: 'msg/s', value: (r) => (r.messagesPerSecond < 10 ? fixed(1) : integer)(r.messagesPerSecond) },
    { title: 'RSS MB', value: (r) => integer(r.peakRssMb) },
    { title: 'CPU s', value: (r) => fixed(1)(r.cpuSeconds) },
    { title: 'sim CPU', value: (r) => fixed(1)(r.simulatorCpuSeconds) },
    { title: 'Azurite CPU', value: (r) => (r.azuriteCpuSeconds === undefined ? '-' : fixed(1)(r.azuriteCpuSeconds)) },
    { title: 'bound s', value: (r) => (r.lowerBoundSeconds === undefined ? '-' : fixed(1)(r.lowerBoundSeconds)) },
    { title: 'ratio', value: (r) => (r.ratio === undefined ? '-' : fixed(2)(r.ratio)) },
];
/** Wide enough for every scenario name, so rows printed as they finish line up with the header. */
const SCENARIO_WIDTH = 28;

function widthOf(column: Column): number {
    return column === COLUMNS[0] ? SCENARIO_WIDTH : Math.max(column.title.length, 6);
}

function line(cells: string[]): string {
    const padded = cells.map((cell, i) => {
        const width = widthOf(COLUMNS[i] as Column);
        return i === 0 ? cell.padEnd(width) : cell.padStart(width);
    });
    return `| ${padded.join(' | ')} |`;
}

export function tableHeader(): string {
    const rule = COLUMNS.map((c, i) => (i === 0 ? '-'.repeat(widthOf(c) + 2) : `${'-'.repeat(widthOf(c) + 1)}:`));
    return `${line(COLUMNS.map((c) => c.title))}\n|${rule.join('|')}|`;
}

export function tableRow(row: Row): string {
    return line(COLUMNS.map((c) => c.value(row)));
}

export function checkLines(checks: Check[]): string {
    return checks.map((c) => `- ${c.met ? 'met' : 'NOT met'}: ${c.target} — ${c.figure}`).join('\n');
}

export interface Machine {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    node: string;
    platform: string;
}

export function machine(): Machine {
    return {
        cpus: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        memoryGb: Math.round(os.totalmem() / 1024 ** 3),
        node: process.version,
        platform: `${os.platform()} ${os.arch()}`,
    };
}

export function describeConditions(conditions: Conditions): string {
    const bandwidth = conditions.bandwidthBytesPerSec
        ? `${(conditions.bandwidthBytesPerSec / 1024 / 1024).toFixed(0)} MB/s per connection`
        : 'no bandwidth cap';
    return `${conditions.latencyMs} ms a request, ${bandwidth}, 4 concurrent requests and 10,000 per 10 min per mailbox`;
}

export async function writeResults(
    file: string,
    results: { conditions: Conditions; rows: Row[]; checks: Check[] },
): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const document = { finishedAt: new Date().toISOString(), machine: machine(), ...results };
    await writeFile(file, `${JSON.stringify(document, null, 4)}\n`);
}
