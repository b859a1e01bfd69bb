import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';

import { MAX_BODY_CHARS, readJsonBody, stringRefusal } from '../../../src/functions/shared/requestBody';

const post = (body: string) =>
    new HttpRequest({ method: 'POST', url: 'https://app.example/api/restores', body: { string: body } });

describe("reading a management request's body", () => {
    it('reads JSON, and takes an empty body as no body', async () => {
        expect(await readJsonBody(post('{"source":"alice@contoso.com"}'))).toEqual({
            body: { source: 'alice@contoso.com' },
        });
        expect(await readJsonBody(post(''))).toEqual({ body: undefined });
        expect(await readJsonBody(post('  \n'))).toEqual({ body: undefined });
    });

    it('refuses a body that is not JSON, without echoing it', async () => {
        const read = await readJsonBody(post('source=alice@contoso.com'));

        expect(read).toEqual({ error: 'The body is not JSON.' });
    });

    it('refuses a body longer than any legitimate one before parsing it', async () => {
        const huge = JSON.stringify({ mailboxes: ['x'.repeat(MAX_BODY_CHARS)] });

        const read = await readJsonBody(post(huge));

        expect('error' in read && read.error).toMatch(/^The body is \d+ characters; at most \d+ are accepted\.$/);
    });
});

describe("a field's string", () => {
    it('is accepted when it is a non-empty string within the limit', () => {
        expect(stringRefusal('source', 'alice@contoso.com', 320)).toBeUndefined();
    });

    it('is refused, naming the field, when missing, blank or not a string', () => {
        for (const value of [undefined, '', '   ', 42, ['alice@contoso.com'], null]) {
            expect(stringRefusal('source', value, 320), JSON.stringify(value)).toBe(
                '"source" must be a non-empty string.',
            );
        }
    });

    it('is refused when longer than the limit, saying by how much', () => {
        expect(stringRefusal('folder', 'x'.repeat(11), 10)).toBe('"folder" is 11 characters long; at most 10.');
    });
});
