import { describe, expect, it } from 'vitest';

import { ConfigError, StorageError } from '../../src/common/errors';
import { openStorage } from '../../src/store/storage';
import { testConnectionString, uniquePrefix } from '../support/storage';

const ACCOUNT_KEY = /AccountKey=([^;]+)/;

describe('openStorage', () => {
    it('creates the tables and the container, and opening again changes nothing', async () => {
        const prefix = uniquePrefix();
        const settings = { connectionString: testConnectionString(), tablePrefix: prefix, container: prefix };
        const first = await openStorage(settings);
        const stored = await first.content.putJson('0f'.repeat(32), { hello: 'world' });
        const again = await openStorage(settings);
        expect(await again.content.exists(stored.blobName)).toBe(true);
        expect(await again.index.get('mailbox', 'message')).toBeUndefined();
    });

    it('says which endpoint it cannot reach, without the account key', async () => {
        const unreachable = testConnectionString().replace(/:\d+\/devstoreaccount1/g, ':9/devstoreaccount1');
        const prefix = uniquePrefix();
        const error: unknown = await openStorage({
            connectionString: unreachable,
            tablePrefix: prefix,
            container: prefix,
        })
            .then(() => undefined)
            .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(StorageError);
        const message = (error as StorageError).userMessage;
        expect(message).toMatch(
            /^Cannot reach Azure Storage at 127\.0\.0\.1:9: ECONNREFUSED; check BACKUP_STORAGE_CONNECTION_STRING$/,
        );
        expect(message).not.toContain(ACCOUNT_KEY.exec(unreachable)?.[1]);
    });

    it('says the credentials were refused when the account key is wrong', async () => {
        const wrongKey = testConnectionString().replace(
            ACCOUNT_KEY,
            `AccountKey=${Buffer.from('not the key').toString('base64')}`,
        );
        const prefix = uniquePrefix();
        await expect(
            openStorage({ connectionString: wrongKey, tablePrefix: prefix, container: prefix }),
        ).rejects.toThrow(
            /^Azure Storage at 127\.0\.0\.1:\d+ refused our credentials .*; check BACKUP_STORAGE_CONNECTION_STRING$/,
        );
    });

    it('rejects missing settings and a malformed connection string as configuration errors', async () => {
        await expect(openStorage({ connectionString: '', tablePrefix: 'x', container: 'x' })).rejects.toBeInstanceOf(
            ConfigError,
        );
        await expect(
            openStorage({ connectionString: 'AccountKey=secret;nonsense', tablePrefix: 'x', container: 'x' }),
        ).rejects.toThrow(/^BACKUP_STORAGE_CONNECTION_STRING is not a valid Azure Storage connection string$/);
    });
});
