/**
 * CPU time of the other processes a measurement depends on, to tell which one bounds it: this process
 * (which serves the simulator while the engine runs) and the Azurite it started. Azurite's comes from
 * /proc, so it is known on Linux only.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux that Node supports. */
const TICKS_PER_SECOND = 100;

export interface CpuClock {
    /** CPU seconds used since the clock was started: by this process, and by the child (undefined if unknown). */
    read(): { own: number; child?: number };
}

/** Starts measuring this process and its child process whose command line contains `childMarker`. */
export function startCpuClock(childMarker: string): CpuClock {
    const child = findChild(childMarker);
    const ownBefore = process.cpuUsage();
    const childBefore = child === undefined ? undefined : cpuSecondsOf(child);
    return {
        read() {
            const own = process.cpuUsage(ownBefore);
            const childNow = child === undefined ? undefined : cpuSecondsOf(child);
            return {
                own: (own.user + own.system) / 1e6,
                child: childBefore === undefined || childNow === undefined ? undefined : childNow - childBefore,
            };
        },
    };
}

function findChild(marker: string): number | undefined {
    try {
        for (const entry of readdirSync('/proc')) {
            if (!/^\d+$/.test(entry)) continue;
            const stat = readStat(Number(entry));
            if (stat?.ppid !== process.pid) continue;
            if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) return Number(entry);
        }
    } catch {
        // No /proc (not Linux): the child's CPU stays unknown.
    }
    return undefined;
}

function cpuSecondsOf(pid: number): number | undefined {
    const stat = readStat(pid);
    return stat && (stat.utime + stat.stime) / TICKS_PER_SECOND;
}

function readStat(pid: number): { ppid: number; utime: number; stime: number } | undefined {
    try {
        const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
        const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
        return { ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]) };
    } catch {
        return undefined;
    }
}
