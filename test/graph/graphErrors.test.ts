import { GraphError } from '@microsoft/microsoft-graph-client';
import { describe, expect, it } from 'vitest';

import { AuthenticationError, GraphUnavailableError } from '../../src/common/errors';
import { classifyGraphError, describe as describeError, toBackupError } from '../../src/graph/graphErrors';

function graphError(statusCode: number, code: string, message = ''): GraphError {
    const error = new GraphError(statusCode, message);
    error.code = code;
    return error;
}

describe('what a Graph or Entra ID failure means', () => {
    it.each([
        [graphError(410, 'SyncStateNotFound', 'The sync state generation is not found'), 'deltaExpired'],
        [graphError(400, 'resyncRequired'), 'deltaExpired'],
        [graphError(404, 'MailboxNotEnabledForRESTAPI'), 'mailboxNotEnabled'],
        [graphError(404, 'ErrorItemNotFound'), 'notFound'],
        [graphError(404, 'ErrorSyncFolderNotFound'), 'notFound'],
        [graphError(403, 'ErrorAccessDenied'), 'accessDenied'],
        [graphError(401, 'InvalidAuthenticationToken'), 'authentication'],
        [graphError(429, 'ApplicationThrottled'), 'throttled'],
        [graphError(503, 'ServiceUnavailable'), 'transient'],
        [graphError(400, 'ErrorInvalidRequest'), 'other'],
    ] as const)('classifies %s as %s', (error, kind) => {
        expect(classifyGraphError(error)).toBe(kind);
    });

    it('treats a connection dropped mid-body or a failed fetch as worth another attempt', () => {
        const dropped = new GraphError(200, 'terminated');
        dropped.code = '';
        expect(classifyGraphError(dropped)).toBe('transient');
        const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) });
        expect(classifyGraphError(refused)).toBe('transient');
        expect(describeError(refused)).toBe('network error ECONNRESET');
    });

    it('tells the administrator what to fix for a wrong or expired secret, without the secret', () => {
        const wrong = Object.assign(new Error('AADSTS7000215: Invalid client secret provided. Trace ID: 1'), {
            name: 'AuthenticationError',
        });
        const error = toBackupError(wrong, 'listing the users');
        expect(error).toBeInstanceOf(AuthenticationError);
        expect(error.userMessage).toContain("set EXCHANGE_CLIENT_SECRET to the secret's Value");
        const expired = Object.assign(new Error('AADSTS7000222: The provided client secret keys are expired.'), {
            name: 'CredentialUnavailableError',
        });
        expect(toBackupError(expired, 'x').userMessage).toContain('has expired');
    });

    it('names the permissions for access denied, and Graph as unavailable when it kept failing', () => {
        expect(toBackupError(graphError(403, 'ErrorAccessDenied'), 'reading a mailbox').userMessage).toMatch(
            /Access denied while reading a mailbox: grant the app the Mail.Read and User.Read.All/,
        );
        const unavailable = toBackupError(graphError(503, 'ServiceUnavailable', 'busy\nstack'), 'reading a folder');
        expect(unavailable).toBeInstanceOf(GraphUnavailableError);
        expect(unavailable.userMessage).toBe(
            'Microsoft Graph kept failing while reading a folder: ServiceUnavailable: busy.',
        );
    });
});
