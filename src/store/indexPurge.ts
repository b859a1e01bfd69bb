/**
 * Deleting a message from the index altogether, which only retention (cleanup) does: its attachment
 * rows and its message row. (Its version rows go through MessageIndex.deleteVersions.)
 *
 * These belong on MessageIndex next to deleteVersions; until they move there, they reach its tables
 * through an element access, which TypeScript permits for private members.
 */
import type { IndexTables, MessageIndex } from './messageIndex';
import { toTableKey } from './tableKeys';
import { deleteRows } from './tableRows';

/** Deletes attachment rows by row key; rows already gone are fine. */
export function deleteAttachmentRows(index: MessageIndex, mailboxId: string, rowKeys: string[]): Promise<void> {
    return deleteRows(tablesOf(index).attachments, mailboxId, rowKeys);
}

/**
 * Deletes message rows; rows already gone are fine. Delete a message's versions and attachments first:
 * the message row is what a later cleanup finds it by, so an interrupted purge is simply repeated.
 */
export function deleteMessageRows(index: MessageIndex, mailboxId: string, messageIds: string[]): Promise<void> {
    return deleteRows(tablesOf(index).messages, mailboxId, messageIds.map(toTableKey));
}

function tablesOf(index: MessageIndex): IndexTables {
    return index['tables'];
}
