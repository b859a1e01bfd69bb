import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Reporter } from '../../src/cli/progress';
import { EXIT_INTERRUPTED, stopOnSignal } from '../../src/cli/stopOnSignal';

function reporter(): Reporter & { warnings: string[] } {
    const warnings: string[] = [];
    return { warnings, info: () => {}, warn: (m) => warnings.push(m), progress: () => {}, stop: () => {} };
}

describe('Ctrl-C during a command', () => {
    afterEach(() => vi.restoreAllMocks());

    it('asks the work to stop at the end of its step the first time, and says so', () => {
        const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
        const output = reporter();
        const stop = stopOnSignal(output);
        try {
            process.emit('SIGINT');

            expect(stop.signal.aborted).toBe(true);
            expect(output.warnings).toEqual([expect.stringMatching(/finishing the step in progress/)]);
            expect(exit).not.toHaveBeenCalled();
        } finally {
            stop.dispose();
        }
    });

    it('quits at once the second time, with the exit status of an interrupted command', () => {
        const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
        const stop = stopOnSignal(reporter());
        try {
            process.emit('SIGTERM');
            process.emit('SIGINT');

            expect(exit).toHaveBeenCalledWith(EXIT_INTERRUPTED);
            expect(EXIT_INTERRUPTED).toBe(130);
        } finally {
            stop.dispose();
        }
    });

    it('no longer listens once the command is over', () => {
        const listeners = process.listenerCount('SIGINT');
        const stop = stopOnSignal(reporter());

        stop.dispose();

        expect(process.listenerCount('SIGINT')).toBe(listeners);
        expect(stop.signal.aborted).toBe(false);
    });
});
