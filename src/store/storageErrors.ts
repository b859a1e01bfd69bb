/**
 * What a failed Azure Storage request means. The SDKs throw `RestError`: `statusCode` is set when the
 * service answered; `code` is the service's error code (BlobAlreadyExists, ...) or, when the request never
 * got an answer, the network error's (ECONNREFUSED, ENOTFOUND, ...).
 */
import { RestError } from '@azure/storage-blob';

import { StorageError } from '../common/errors';

export function hasStatus(error: unknown, statusCode: number): boolean {
    return error instanceof RestError && error.statusCode === statusCode;
}

export function isNotFound(error: unknown): boolean {
    return hasStatus(error, 404);
}

/** A conditional create (`If-None-Match: *`) found the blob already there. */
export function isBlobAlreadyPresent(error: unknown): boolean {
    return (hasStatus(error, 409) && (error as RestError).code === 'BlobAlreadyExists') || hasStatus(error, 412);
}

/**
 * A StorageError for failures the person running the backup must fix (unreachable endpoint, refused
 * credentials), otherwise the error itself. The message names the endpoint's host and the error code,
 * never the SDK's message, which may quote a URL carrying a SAS token.
 */
export function asStorageError(error: unknown, endpoint: string, hint: string): unknown {
    if (!(error instanceof RestError)) return error;
    const host = new URL(endpoint).host;
    if (error.statusCode === undefined) {
        const reason = error.code ?? 'no response';
        return new StorageError(`Cannot reach Azure Storage at ${host}: ${reason}; ${hint}`, { cause: error });
    }
    if (error.statusCode === 401 || error.statusCode === 403) {
        const reason = error.code ?? `HTTP ${error.statusCode}`;
        return new StorageError(`Azure Storage at ${host} refused our credentials (${reason}); ${hint}`, {
            cause: error,
        });
    }
    return error;
}
