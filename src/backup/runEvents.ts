/**
 * One log line per finished run and per finished mailbox, for Application Insights: the message is a
 * fixed prefix and a JSON object, so a KQL query finds them with `startswith` and reads the figures with
 * `parse_json(substring(message, <prefix length>))` (docs/operations.md). The prefixes and field
 * names are a contract with the alert and workbook in infra/.
 */
import { emptyCounters, type MailboxRunEntity, type RunCounters, type RunEntity } from '../store/entities';

export const RUN_EVENT = 'mailbackup.run';
export const MAILBOX_EVENT = 'mailbackup.mailbox';

export function runSummaryEvent(run: RunEntity): string {
    const seconds = run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : 0;
    return `${RUN_EVENT} ${JSON.stringify({
        runId: run.runId,
        type: run.type,
        trigger: run.trigger,
        status: run.status,
        reason: run.reason ?? '',
        startedAt: run.startedAt,
        endedAt: run.endedAt,
        durationSeconds: Math.round(seconds),
        mailboxesTotal: run.mailboxesTotal,
        mailboxesDone: run.mailboxesDone,
        mailboxesSkipped: run.mailboxesSkipped,
        mailboxesFailed: run.mailboxesFailed,
        ...counters(run),
    })}`;
}

export function mailboxSummaryEvent(row: MailboxRunEntity): string {
    return `${MAILBOX_EVENT} ${JSON.stringify({
        runId: row.partitionKey,
        mailbox: row.userPrincipalName,
        mailboxId: row.mailboxId,
        status: row.status,
        reason: row.reason,
        slices: row.slices ?? 1,
        ...counters(row),
    })}`;
}

/** Only the counters of a row or run (a mailbox row also carries keys and reasons). */
function counters(c: RunCounters): RunCounters {
    const only = emptyCounters();
    for (const key of Object.keys(only) as (keyof RunCounters)[]) only[key] = c[key];
    return only;
}
