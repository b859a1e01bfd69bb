import { describe, expect, it } from 'vitest';

import { classifyChange } from '../../src/backup/changeDetection';
import type { DeltaMessage } from '../../src/graph/messages';
import type { MessageEntity } from '../../src/store/entities';

const INBOX = 'inbox-id';

/** A message as the index keeps it after a backup of it in the Inbox, read, unflagged, one category. */
function backedUp(overrides: Partial<MessageEntity> = {}): MessageEntity {
    return {
        partitionKey: 'mailbox',
        rowKey: 'm1',
        messageId: 'm1',
        sha256: 'a'.repeat(64),
        size: 1_000,
        changeKey: 'ck1',
        folderId: INBOX,
        folderPath: 'Inbox',
        subject: 'Quarterly figures',
        sender: 'alice@contoso.com',
        receivedAt: '2026-11-26T02:15:07Z',
        internetMessageId: '<m1@contoso.com>',
        isRead: true,
        flagStatus: 'notFlagged',
        categories: '["Blue category"]',
        isDraft: false,
        emlBlob: 'eml/m1',
        jsonBlob: '',
        attachmentCount: 0,
        version: 1,
        contentSince: '2026-11-26T03:00:00Z',
        firstSeenAt: '2026-11-26T03:00:00Z',
        lastSeenAt: '2026-11-26T03:00:00Z',
        deletedAt: '',
        ...overrides,
    };
}

/** The same message as delta reports it when nothing about it changed. */
function reported(overrides: Partial<DeltaMessage> = {}): DeltaMessage {
    return {
        id: 'm1',
        changeKey: 'ck1',
        isRead: true,
        isDraft: false,
        flag: { flagStatus: 'notFlagged' },
        categories: ['Blue category'],
        ...overrides,
    };
}

describe('what a message reported by delta means for the backup', () => {
    it('downloads a message never backed up, or one whose content never finished storing', () => {
        expect(classifyChange(reported(), INBOX, undefined)).toBe('new');
        expect(classifyChange(reported(), INBOX, backedUp({ sha256: '' }))).toBe('new');
    });

    it('does nothing for a message reported again exactly as it was backed up', () => {
        expect(classifyChange(reported(), INBOX, backedUp())).toBe('unchanged');
    });

    it('reads a draft again when its changeKey moved: only drafts change content', () => {
        const draft = backedUp({ isDraft: true });

        expect(classifyChange(reported({ isDraft: true, changeKey: 'ck2' }), INBOX, draft)).toBe('contentChanged');
        expect(classifyChange(reported({ isDraft: true }), INBOX, draft)).toBe('unchanged');
    });

    it('re-downloads nothing for received mail whose changeKey moved because it was read, flagged or tagged', () => {
        const unread = backedUp({ isRead: false });
        const changes: [DeltaMessage, MessageEntity][] = [
            [reported({ changeKey: 'ck2' }), unread],
            [reported({ changeKey: 'ck2', flag: { flagStatus: 'flagged' } }), backedUp()],
            [reported({ changeKey: 'ck2', categories: ['Blue category', 'Red category'] }), backedUp()],
            [reported({ changeKey: 'ck2', categories: [] }), backedUp()],
        ];

        for (const [message, existing] of changes) {
            expect(classifyChange(message, INBOX, existing), JSON.stringify(message)).toBe('updated');
        }
    });

    it('records each change of state, even one delta reports without a new changeKey', () => {
        expect(classifyChange(reported({ isRead: false }), INBOX, backedUp())).toBe('updated');
        expect(classifyChange(reported({ flag: { flagStatus: 'complete' } }), INBOX, backedUp())).toBe('updated');
        expect(classifyChange(reported({ categories: ['Red category'] }), INBOX, backedUp())).toBe('updated');
    });

    it('records a move to another folder, and a message seen again after it was marked deleted', () => {
        expect(classifyChange(reported(), 'archive-id', backedUp())).toBe('updated');
        expect(classifyChange(reported(), INBOX, backedUp({ deletedAt: '2026-11-27T03:00:00Z' }))).toBe('updated');
    });

    it('reads absent state on a delta entry as its default: unread, not flagged, no categories', () => {
        const plain = backedUp({ isRead: false, categories: '[]', changeKey: '' });

        expect(classifyChange({ id: 'm1' }, INBOX, plain)).toBe('unchanged');
    });
});
