import { beforeAll, describe, expect, it } from 'vitest';

import type { FolderEntity } from '../../src/store/entities';
import type { FolderStateStore } from '../../src/store/folderState';
import { openStorage } from '../../src/store/storage';
import { toTableKey } from '../../src/store/tableKeys';
import { testConnectionString, uniquePrefix } from '../support/storage';

function folder(mailboxId: string, folderId: string, overrides: Partial<FolderEntity> = {}): FolderEntity {
    return {
        partitionKey: mailboxId,
        rowKey: toTableKey(folderId),
        folderId,
        displayName: folderId,
        parentFolderId: 'root',
        path: `Inbox/${folderId}`,
        deltaLink: '',
        pendingLink: '',
        lastSyncedAt: '',
        lastRunId: '',
        pendingRunId: '',
        roundStartedAt: '',
        retryIds: '[]',
        removedAt: '',
        ...overrides,
    };
}

describe('FolderStateStore', () => {
    let folders: FolderStateStore;

    beforeAll(async () => {
        const prefix = uniquePrefix();
        ({ folders } = await openStorage({
            connectionString: testConnectionString(),
            tablePrefix: prefix,
            container: prefix,
        }));
    });

    it('keeps the state of every folder of a mailbox, the last write of a folder winning', async () => {
        const many = Array.from({ length: 150 }, (_, i) => folder('mbx', `folder/${i}`));
        await folders.upsertMany('mbx', [
            ...many,
            folder('mbx', 'folder/0', { deltaLink: 'https://graph/delta?token=2' }),
        ]);
        await folders.upsert(folder('mbx', 'folder/1', { removedAt: '2026-11-26T02:15:00Z' }));
        await folders.upsert(folder('other', 'folder/0'));

        const listed = await folders.list('mbx');
        expect(listed.length).toBe(150);
        const byId = new Map(listed.map((entity) => [entity.folderId, entity]));
        expect(byId.get('folder/0')?.deltaLink).toBe('https://graph/delta?token=2');
        expect(byId.get('folder/1')?.removedAt).toBe('2026-11-26T02:15:00Z');
        expect(byId.get('folder/2')).toEqual(folder('mbx', 'folder/2'));
    });

    it('refuses a folder of another mailbox in a batch', async () => {
        await expect(folders.upsertMany('mbx', [folder('other', 'x')])).rejects.toThrow(/partition/);
    });
});
