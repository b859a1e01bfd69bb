/** What a request was, for counting: every request the server receives is counted under exactly one kind. */
export const REQUEST_KINDS = [
    'token',
    'openidConfig',
    'users',
    'mailboxSettings',
    // Folder listings (mailFolders, childFolders, a folder by id) and the folder hierarchy delta: the bench's "lists".
    'folders',
    'delta',
    'value',
    'message',
    'attachments',
    'attachmentValue',
    'write',
    'upload',
    'other',
] as const;

export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface Counters extends Record<RequestKind, number> {
    /** Every request received, of any kind, rejected ones included. */
    total: number;
    /** Responses with status 429, whatever produced them. */
    throttled: number;
    /** Requests per mailbox (by UPN), rejected ones included. */
    byMailbox: Map<string, number>;
    /** Highest number of requests one mailbox had in flight at once. */
    maxConcurrentByMailbox: Map<string, number>;
    /** Immutable ids of messages whose $value was served to the last byte. */
    valueDownloads: string[];
}

export function createCounters(): Counters {
    const counters = {
        total: 0,
        throttled: 0,
        byMailbox: new Map(),
        maxConcurrentByMailbox: new Map(),
        valueDownloads: [],
    };
    return Object.assign(counters, Object.fromEntries(REQUEST_KINDS.map((k) => [k, 0])) as Record<RequestKind, number>);
}

/** Zeroes the counters in place, so references a test holds stay live. */
export function resetCounters(counters: Counters): void {
    for (const kind of REQUEST_KINDS) counters[kind] = 0;
    counters.total = 0;
    counters.throttled = 0;
    counters.byMailbox.clear();
    counters.maxConcurrentByMailbox.clear();
    counters.valueDownloads.length = 0;
}

export function increment(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
}
