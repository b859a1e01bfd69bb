import { expect } from 'vitest';

import type { MessageEntity } from '../../src/store/entities';
import type { BackupStorage } from '../../src/store/storage';
import type { SimUser } from '../sim/model/user';

export async function indexOf(storage: BackupStorage, mailboxId: string): Promise<Map<string, MessageEntity>> {
    const entities = new Map<string, MessageEntity>();
    for await (const entity of storage.index.listMailbox(mailboxId)) entities.set(entity.messageId, entity);
    return entities;
}

/**
 * The backup holds exactly what the mailbox holds now: every message, in its folder, with the
 * checksum of the bytes Graph serves and its read/flag state; everything else is marked deleted.
 */
export async function expectBackupMatches(storage: BackupStorage, user: SimUser): Promise<void> {
    const index = await indexOf(storage, user.id);
    const live = [...index.values()].filter((e) => !e.deletedAt);
    const truth = user.messages();
    expect(live.map((e) => e.messageId).sort()).toEqual(truth.map((m) => m.id).sort());
    for (const message of truth) {
        const entity = index.get(message.id)!;
        expect(entity, message.subject).toMatchObject({
            folderId: message.folderId,
            folderPath: message.folderPath,
            sha256: message.sha256(),
            isRead: message.isRead,
            flagStatus: message.flagStatus,
            categories: JSON.stringify(message.categories),
        });
        expect(await storage.content.exists(entity.emlBlob), `${message.subject} eml blob`).toBe(true);
    }
}
