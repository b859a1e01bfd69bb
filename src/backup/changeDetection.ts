import type { DeltaMessage } from '../graph/messages';
import type { MessageEntity } from '../store/entities';

/**
 * What a message reported by delta means for the backup:
 * - new: never backed up (or its content never finished storing) — download it;
 * - contentChanged: a draft with a new changeKey — download it; its SHA-256 then decides whether a version is kept;
 * - updated: read state, flag, categories, folder (a move) — metadata only, no download;
 * - unchanged: nothing to do.
 * changeKey alone cannot tell these apart for received mail: marking as read changes it too
 * (docs/graph-behaviour.md, "Message content and change detection"). Only drafts change content in Exchange, and
 * nothing the delta page shows (subject, 255-character preview, size) catches every edit, so a draft is read again on
 * every new changeKey.
 */
export type Change = 'new' | 'contentChanged' | 'updated' | 'unchanged';

export function classifyChange(message: DeltaMessage, folderId: string, existing: MessageEntity | undefined): Change {
    if (!existing?.sha256) return 'new';
    const changeKeyChanged = existing.changeKey !== (message.changeKey ?? '');
    if (message.isDraft && changeKeyChanged) return 'contentChanged';
    const metadataChanged =
        existing.deletedAt !== '' ||
        existing.folderId !== folderId ||
        changeKeyChanged ||
        existing.isRead !== (message.isRead ?? false) ||
        existing.flagStatus !== (message.flag?.flagStatus ?? 'notFlagged') ||
        existing.categories !== JSON.stringify(message.categories ?? []);
    return metadataChanged ? 'updated' : 'unchanged';
}
