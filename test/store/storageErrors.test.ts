import { RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';

import { StorageError } from '../../src/common/errors';
import { asStorageError, isBlobAlreadyPresent, isNotFound } from '../../src/store/storageErrors';

const ENDPOINT = 'https://backupacct.blob.core.windows.net/?sv=2024-01-01&sig=SECRETSIGNATURE';
const HINT = 'check AZURE_STORAGE_CONNECTION_STRING';

const answered = (statusCode: number, code?: string) =>
    new RestError(`Request to ${ENDPOINT} failed`, { statusCode, code });

describe('what a failed storage request means', () => {
    it('tells a missing blob or entity from other failures', () => {
        expect(isNotFound(answered(404, 'BlobNotFound'))).toBe(true);
        expect(isNotFound(answered(409, 'BlobAlreadyExists'))).toBe(false);
        expect(isNotFound(Object.assign(new Error('not found'), { statusCode: 404 }))).toBe(false);
    });

    it('takes a conditional create that found the blob there as already present', () => {
        expect(isBlobAlreadyPresent(answered(409, 'BlobAlreadyExists'))).toBe(true);
        expect(isBlobAlreadyPresent(answered(412, 'ConditionNotMet'))).toBe(true);
        expect(isBlobAlreadyPresent(answered(409, 'LeaseIdMissing'))).toBe(false);
        expect(isBlobAlreadyPresent(answered(500))).toBe(false);
    });
});

describe('the error the person running the backup sees', () => {
    it('names the host and the network error when storage cannot be reached, and what to check', () => {
        const refused = new RestError('connect ECONNREFUSED 127.0.0.1:10000', { code: 'ECONNREFUSED' });

        const error = asStorageError(refused, ENDPOINT, HINT);

        expect(error).toBeInstanceOf(StorageError);
        expect((error as StorageError).message).toBe(
            `Cannot reach Azure Storage at backupacct.blob.core.windows.net: ECONNREFUSED; ${HINT}`,
        );
        expect((error as StorageError).cause).toBe(refused);
    });

    it('says the credentials were refused on 401 and 403, never quoting the SDK message and its SAS', () => {
        for (const status of [401, 403]) {
            const error = asStorageError(answered(status, 'AuthenticationFailed'), ENDPOINT, HINT) as StorageError;

            expect(error).toBeInstanceOf(StorageError);
            expect(error.message).toBe(
                `Azure Storage at backupacct.blob.core.windows.net refused our credentials (AuthenticationFailed); ${HINT}`,
            );
            expect(error.message).not.toContain('SECRETSIGNATURE');
        }
        const noCode = asStorageError(answered(403), ENDPOINT, HINT) as StorageError;
        expect(noCode.message).toContain('refused our credentials (HTTP 403)');
    });

    it('leaves every other failure as it was, for the caller to handle', () => {
        const conflict = answered(409, 'BlobAlreadyExists');
        const bug = new TypeError('x is undefined');

        expect(asStorageError(conflict, ENDPOINT, HINT)).toBe(conflict);
        expect(asStorageError(bug, ENDPOINT, HINT)).toBe(bug);
    });
});
