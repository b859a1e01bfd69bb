import { rebuildIndex, type RebuiltMailbox } from '../backup/tableSnapshots';
import { findBackedUpMailbox } from '../recovery/pointInTime';
import type { CliEnvironment } from './environment';

/**
 * Writes the index tables back from the snapshots in the container (docs/table-snapshots.md); exit 1 when
 * a mailbox asked for could not be rebuilt.
 */
export async function rebuildIndexCommand(environment: CliEnvironment, options: { mailbox?: string }): Promise<number> {
    const mailboxId = options.mailbox === undefined ? undefined : await mailboxIdOf(environment, options.mailbox);
    const report = await rebuildIndex(environment.storage, { mailboxId });
    if (mailboxId === undefined && report.rebuilt.length + report.missing.length + report.busy.length === 0) {
        process.stdout.write(`No index snapshots in ${environment.storageLabel}: nothing to rebuild\n`);
        return 1;
    }
    const lines = [
        `Rebuilt the index of ${report.rebuilt.length} mailboxes in ${environment.storageLabel} from their snapshots`,
        ...report.rebuilt.map(describeMailbox),
        ...report.missing.map(
            (id) =>
                `  not rebuilt: ${id}: no full snapshot of this mailbox (snapshots are kept by the mailbox's Entra object id)`,
        ),
        ...report.busy.map(
            ({ mailboxId, heldBy }) =>
                `  not rebuilt: ${mailboxId}: a backup (${heldBy}) is working on it; run rebuild-index again when it ends`,
        ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return report.missing.length + report.busy.length > 0 ? 1 : 0;
}

/** The run history knows mailboxes by UPN; with it gone too, the Entra object id is what names a snapshot. */
async function mailboxIdOf(environment: CliEnvironment, upnOrId: string): Promise<string> {
    return (await findBackedUpMailbox(environment.storage, upnOrId))?.id ?? upnOrId.trim();
}

function describeMailbox(mailbox: RebuiltMailbox): string {
    const { messages, versions, attachments, placements, folders } = mailbox.rows;
    return (
        `  ${mailbox.mailboxId}: as of ${mailbox.asOf}, from ${mailbox.snapshots} snapshots: ${messages} messages, ` +
        `${versions} versions, ${attachments} attachments, ${placements} placements, ${folders} folders`
    );
}
