/**
 * What restores this deployment allows, checked where a restore is asked for (POST /api/restores) and again
 * where it writes (the restore activity), so a restore orchestration started any other way is held to the
 * same rules.
 */
import { loadAppSettings } from '../../config';

/**
 * RESTORE_ALLOWED_TARGETS: the mailboxes restores may write into, as user principal names or object ids,
 * separated by commas or spaces; empty or unset, any mailbox. Compared as given, ignoring case: list a
 * mailbox in the form callers name it.
 */
function allowedTargets(): string[] {
    return (process.env.RESTORE_ALLOWED_TARGETS ?? '')
        .split(/[\s,;]+/)
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean);
}

type Refusal = { title: string; detail: string } | undefined;

/** Why no restore may run here (RESTORE_ENABLED is off), or undefined. */
export function restoresOff(): Refusal {
    if (loadAppSettings(process.env).restoreEnabled) return undefined;
    return {
        title: 'Restore is turned off',
        detail: 'Restores write into mailboxes. To allow them, grant the app Mail.ReadWrite and set RESTORE_ENABLED=true.',
    };
}

/** Why this restore may not run here, or undefined when it may. */
export function restoreRefusal(request: { source: string; target?: string }): Refusal {
    const off = restoresOff();
    if (off) return off;
    const allowed = allowedTargets();
    const target = request.target ?? request.source;
    if (allowed.length > 0 && !allowed.includes(target.trim().toLowerCase())) {
        return {
            title: 'Restore target not allowed',
            detail: `Restores may write only into the mailboxes RESTORE_ALLOWED_TARGETS lists; ${target} is not one of them.`,
        };
    }
    return undefined;
}
