import type { Reporter } from './progress';

/** The shell's convention for a process stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/**
 * The first Ctrl-C (or SIGTERM) lets the work in progress finish its current step and record where it
 * stopped (a backup commits its pages and releases its mailbox locks; a restore records each message it
 * completed), so the next run continues at once; a second one exits.
 */
export function stopOnSignal(reporter: Reporter): { signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    const onSignal = () => {
        if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
        reporter.warn(
            'stopping: finishing the step in progress and recording where it stopped (Ctrl-C again quits at once)',
        );
        controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return {
        signal: controller.signal,
        dispose: () => {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
        },
    };
}
