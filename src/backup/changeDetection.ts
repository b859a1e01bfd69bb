import { createHash } from 'node:crypto';

import { type DeltaMessage, messageSize } from '../graph/messages';
import type { MessageEntity } from '../store/entities';

/**
 * What a message reported by delta means for the backup:
 * - new: never backed up (or its content never finished storing) — download it;
 * - contentChanged: an edited draft — download it, keep the old version;
 * - updated: read state, flag, categories, folder (a move) — metadata only, no download;
 * - unchanged: nothing to do.
 * changeKey alone cannot tell these apart: marking as read changes it too (graph-facts §6).
 * Only drafts change content in Exchange, so only a draft's fingerprint is compared.
 */
export type Change = 'new' | 'contentChanged' | 'updated' | 'unchanged';

export function classifyChange(message: DeltaMessage, folderId: string, existing: MessageEntity | undefined): Change {
    if (!existing?.sha256) return 'new';
    if (message.isDraft && contentFingerprint(message) !== existing.contentFingerprint) return 'contentChanged';
    const metadataChanged =
        existing.deletedAt !== '' ||
        existing.folderId !== folderId ||
        existing.changeKey !== (message.changeKey ?? '') ||
        existing.isRead !== (message.isRead ?? false) ||
        existing.flagStatus !== (message.flag?.flagStatus ?? 'notFlagged') ||
        existing.categories !== JSON.stringify(message.categories ?? []);
    return metadataChanged ? 'updated' : 'unchanged';
}

/** What a draft's edit changes: its subject, body, attachments or size. */
export function contentFingerprint(message: DeltaMessage): string {
    return createHash('sha256')
        .update(
            JSON.stringify([
                message.subject ?? '',
                message.bodyPreview ?? '',
                message.hasAttachments ?? false,
                messageSize(message) ?? null,
            ]),
        )
        .digest('hex')
        .slice(0, 32);
}
