/**
 * How Copy Blob From URL may read its source. The service fetches the source URL itself, so the request's
 * own credential does not cover it: the source must carry a SAS or an OAuth token of its own.
 * https://learn.microsoft.com/rest/api/storageservices/copy-blob-from-url#authorization
 *   account key     a read-only service SAS for the one blob, valid for an hour
 *   TokenCredential the same identity's token in x-ms-copy-source-authorization (needs read access to the
 *                   source, which the identity writing the backup has; no user delegation key needed)
 *   SAS connection  the client's URL already carries the SAS
 * Azurite 3.35 accepts the SAS form; it does not implement the token form.
 */
import type { TokenCredential } from '@azure/identity';
import {
    BlobSASPermissions,
    StorageSharedKeyCredential,
    type BlobClient,
    type HttpAuthorization,
} from '@azure/storage-blob';

const SAS_LIFETIME_MS = 60 * 60 * 1000;
// Clocks differ; a SAS that starts "now" by our clock may not have started yet by the service's.
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const STORAGE_SCOPE = 'https://storage.azure.com/.default';

export async function copySource(
    source: BlobClient,
): Promise<{ url: string; sourceAuthorization?: HttpAuthorization }> {
    const credential = source.credential;
    if (credential instanceof StorageSharedKeyCredential) {
        const now = Date.now();
        const url = await source.generateSasUrl({
            permissions: BlobSASPermissions.parse('r'),
            startsOn: new Date(now - CLOCK_SKEW_MS),
            expiresOn: new Date(now + SAS_LIFETIME_MS),
        });
        return { url };
    }
    if (isTokenCredential(credential)) {
        const token = await credential.getToken(STORAGE_SCOPE);
        if (!token) throw new Error('The storage credential returned no token for the copy source');
        return { url: source.url, sourceAuthorization: { scheme: 'Bearer', value: token.token } };
    }
    return { url: source.url };
}

function isTokenCredential(credential: object): credential is TokenCredential {
    return typeof (credential as Partial<TokenCredential>).getToken === 'function';
}
