/**
 * Reading a management request's JSON body with every string bounded: a body or field longer than
 * anything legitimate is refused before it reaches a log line, a table row or Graph.
 */
import type { HttpRequest } from '@azure/functions';

/** The largest body: a thousand mailbox addresses fit with room to spare. */
export const MAX_BODY_CHARS = 400_000;

/**
 * Longest values of the fields the endpoints take. An SMTP address is at most 320 characters (RFC 5321:
 * 64 + @ + 255); an Exchange folder name at most 255, and a path of a few dozen of them is already deep.
 */
export const MAX_CHARS = {
    mailbox: 320,
    dateTime: 40,
    folderPath: 4096,
    messageId: 512,
} as const;

/** The body as JSON (`undefined` when empty), or the reason it is refused. */
export async function readJsonBody(request: HttpRequest): Promise<{ body: unknown } | { error: string }> {
    const text = await request.text();
    if (text.length > MAX_BODY_CHARS) {
        return { error: `The body is ${text.length} characters; at most ${MAX_BODY_CHARS} are accepted.` };
    }
    if (!text.trim()) return { body: undefined };
    try {
        return { body: JSON.parse(text) as unknown };
    } catch {
        return { error: 'The body is not JSON.' };
    }
}

/** Why a field's string is refused, or undefined when it is a non-empty string within the limit. */
export function stringRefusal(name: string, value: unknown, maxChars: number): string | undefined {
    if (typeof value !== 'string' || value.trim() === '') return `"${name}" must be a non-empty string.`;
    if (value.length > maxChars) return `"${name}" is ${value.length} characters long; at most ${maxChars}.`;
    return undefined;
}
