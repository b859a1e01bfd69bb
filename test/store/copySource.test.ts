import type { AccessToken, TokenCredential } from '@azure/identity';
import { AnonymousCredential, BlobClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';

import { copySource } from '../../src/store/copySource';

const URL_OF_BLOB = 'https://backupacct.blob.core.windows.net/backup/snapshots/messages.jsonl';
// A key of the right shape (base64 of 64 bytes); nothing is sent anywhere.
const KEY = Buffer.alloc(64, 7).toString('base64');

describe('how Copy Blob From URL may read its source', () => {
    it('with an account key: a read-only SAS for the one blob, valid for about an hour from a little before now', async () => {
        const source = new BlobClient(URL_OF_BLOB, new StorageSharedKeyCredential('backupacct', KEY));
        const before = Date.now();

        const { url, sourceAuthorization } = await copySource(source);

        const sas = new URL(url).searchParams;
        expect(url.startsWith(`${URL_OF_BLOB}?`)).toBe(true);
        expect(sas.get('sp')).toBe('r');
        expect(sas.get('sr')).toBe('b');
        expect(sas.get('sig')).toBeTruthy();
        const starts = Date.parse(sas.get('st')!);
        const expires = Date.parse(sas.get('se')!);
        expect(starts).toBeLessThan(before);
        expect(expires - before).toBeGreaterThanOrEqual(59 * 60_000);
        expect(expires - before).toBeLessThanOrEqual(61 * 60_000);
        expect(sourceAuthorization).toBeUndefined();
    });

    it('with an identity: the plain URL and the same identity’s storage token as the source’s authorization', async () => {
        const scopes: (string | string[])[] = [];
        const identity: TokenCredential = {
            getToken: (scope) => {
                scopes.push(scope);
                return Promise.resolve<AccessToken>({ token: 'the-token', expiresOnTimestamp: Date.now() + 3_600_000 });
            },
        };

        const { url, sourceAuthorization } = await copySource(new BlobClient(URL_OF_BLOB, identity));

        expect(url).toBe(URL_OF_BLOB);
        expect(sourceAuthorization).toEqual({ scheme: 'Bearer', value: 'the-token' });
        expect(scopes).toEqual(['https://storage.azure.com/.default']);
    });

    it('says so when the identity gives no token, rather than copying without authorization', async () => {
        const identity: TokenCredential = { getToken: () => Promise.resolve(null) };

        await expect(copySource(new BlobClient(URL_OF_BLOB, identity))).rejects.toThrow(/returned no token/);
    });

    it('with a SAS connection string: the URL as it is, which carries the SAS already', async () => {
        const withSas = `${URL_OF_BLOB}?sv=2024-08-04&sp=racwl&sig=abc`;

        expect(await copySource(new BlobClient(withSas, new AnonymousCredential()))).toEqual({ url: withSas });
    });
});
