/**
 * The restore's log line for Application Insights, like the backup's summaries (src/backup/runEvents.ts):
 * a fixed prefix and a JSON object with always the same fields. Each slice of a restore logs one, and the
 * orchestration logs one when it gives the restore up; the restore alert and the workbook in infra/ read
 * `status`, `reason` and `requestedBy` from it.
 */
import { emptyRestoreCounters, type RestoreCounters } from '../../store/restoreHistory';
import type { RestoreInput } from './restoreInput';

export const RESTORE_EVENT = 'mailbackup.restore';

export interface RestoreEventFields {
    /** incomplete (a slice that ran out of time; more follow), succeeded, partial or failed. */
    status: string;
    reason?: string;
    counters?: Partial<RestoreCounters>;
}

export function restoreEvent(input: RestoreInput, fields: RestoreEventFields): string {
    const counters = emptyRestoreCounters();
    for (const key of Object.keys(counters) as (keyof RestoreCounters)[]) {
        counters[key] = fields.counters?.[key] ?? 0;
    }
    return `${RESTORE_EVENT} ${JSON.stringify({
        restoreId: input.restoreId,
        status: fields.status,
        reason: fields.reason ?? '',
        source: input.source,
        target: input.target ?? input.source,
        requestedBy: input.requestedBy ?? '',
        ...counters,
    })}`;
}
