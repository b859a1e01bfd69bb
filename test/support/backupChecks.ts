import { expect } from 'vitest';

import type { BackupStorage } from '../../src/store/storage';
import type { Counters, SimUser } from '../sim';

/** Every message of the mailbox has exactly one content version in the backup: nothing was stored twice. */
export async function expectOneVersionEach(storage: BackupStorage, user: SimUser): Promise<void> {
    const versions = new Map<string, number[]>();
    for await (const v of storage.index.listVersions(user.id)) {
        versions.set(v.messageId, [...(versions.get(v.messageId) ?? []), v.version]);
    }
    for (const message of user.messages()) expect(versions.get(message.id), message.subject).toEqual([1]);
    for await (const entity of storage.index.listMailbox(user.id, ['messageId', 'version'])) {
        expect(entity.version, entity.messageId).toBe(1);
    }
}

/** Each of these messages' MIME was served to the last byte exactly once. */
export function expectDownloadedOnce(counters: Counters, ...users: SimUser[]): void {
    const ids = users.flatMap((u) => u.messages().map((m) => m.id));
    expect([...counters.valueDownloads].sort()).toEqual(ids.sort());
}
