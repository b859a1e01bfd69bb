import type { Readable } from 'node:stream';

import { GraphError, LargeFileUploadTask, type FileObject, type Range } from '@microsoft/microsoft-graph-client';
import type { MailFolder, Message, Recipient } from '@microsoft/microsoft-graph-types';

import { classifyGraphError } from './graphErrors';
import { type MailboxGraph, toGraphError } from './mailboxGraph';
import { UploadBudget } from './uploadBudget';

/**
 * The writes a restore makes in one mailbox (docs/graph-behaviour.md, "Restore writes"). Every request takes one of the
 * mailbox's four slots (MailboxGraph) and its bytes from the mailbox's upload budget.
 */

/**
 * Attachments above this go through an upload session; a session for less fails
 * (docs/graph-behaviour.md, "Restore writes").
 */
export const UPLOAD_SESSION_THRESHOLD = 3 * 1024 * 1024;
/** Upload ranges: under the 4 MB request cap, and a multiple of 320 KiB as Graph's upload sessions expect. */
const UPLOAD_RANGE_BYTES = 10 * 320 * 1024;

export interface NewMessage {
    subject?: string | null;
    internetMessageId?: string;
    body?: Message['body'];
    from?: Recipient | null;
    sender?: Recipient | null;
    toRecipients?: Recipient[] | null;
    ccRecipients?: Recipient[] | null;
    bccRecipients?: Recipient[] | null;
    replyTo?: Recipient[] | null;
    importance?: Message['importance'];
    isRead?: boolean;
    flag?: { flagStatus: string };
    categories?: string[];
    singleValueExtendedProperties: { id: string; value: string }[];
}

/** A message created for the restore of one source message, findable by the extended property it carries. */
export interface MessageMark {
    propertyId: string;
    value: string;
}

/** Creations tried before giving up when Graph's answers leave it unknown whether the item was made. */
const CREATE_ATTEMPTS = 3;

/**
 * A write whose outcome is unknown: the gateway gave up (504), Exchange failed (500, 502) or the connection dropped
 * or timed out. Exchange may have carried it out, so it is not simply sent again (transientFailures.ts, mayResend).
 */
export function isAmbiguousWriteFailure(error: unknown): boolean {
    if (error instanceof GraphError && error.statusCode === 503) return false;
    return classifyGraphError(error) === 'transient';
}

export interface NewAttachment {
    name: string;
    contentType: string;
    isInline: boolean;
    contentId?: string;
}

export class MailWriter {
    constructor(
        readonly graph: MailboxGraph,
        private readonly budget = new UploadBudget(),
    ) {}

    /**
     * The id of the child folder named `displayName` under `parentId` (the top of the mailbox when undefined),
     * created when missing. A folder that exists already (409 ErrorFolderExists: a second call, or another
     * lane first) is looked up by name.
     */
    async ensureFolder(parentId: string | undefined, displayName: string): Promise<string> {
        const parent = parentId
            ? `${this.graph.userPath}/mailFolders/${encodeURIComponent(parentId)}/childFolders`
            : `${this.graph.userPath}/mailFolders`;
        for (let attempt = 1; ; attempt++) {
            try {
                const created = await this.post<MailFolder>(parent, { displayName });
                if (created.id) return created.id;
            } catch (error) {
                const exists = error instanceof GraphError && error.code === 'ErrorFolderExists';
                if (!exists && !isAmbiguousWriteFailure(error)) throw error;
            }
            // It exists (or may: an answer was lost), made by a second call, another lane or the lost request.
            const found = await this.findFolder(parent, displayName);
            if (found) return found;
            if (attempt >= CREATE_ATTEMPTS) throw new Error(`Folder "${displayName}" could not be created or found`);
        }
    }

    private async findFolder(parent: string, displayName: string): Promise<string | undefined> {
        const wanted = displayName.toLowerCase();
        for await (const page of this.graph.pages<MailFolder>(`${parent}?includeHiddenFolders=true&$top=100`)) {
            const found = page.value.find((f) => f.displayName?.toLowerCase() === wanted);
            if (found?.id) return found.id;
        }
        return undefined;
    }

    /**
     * Creates a message in a folder from JSON, once: its extended properties decide whether it is a draft, and
     * `mark` (one of them) identifies it. When Graph's answer leaves it unknown whether the message was made, the
     * folder's mailbox is searched for the mark before anything is sent again, so a lost answer never makes a
     * second copy.
     */
    async createMessage(folderId: string, message: NewMessage, mark: MessageMark): Promise<string> {
        const path = `${this.graph.userPath}/mailFolders/${encodeURIComponent(folderId)}/messages`;
        for (let attempt = 1; ; attempt++) {
            try {
                const created = await this.post<Message>(path, message);
                if (!created.id) throw new Error('Graph created a message without returning its id');
                return created.id;
            } catch (error) {
                if (!isAmbiguousWriteFailure(error) || attempt >= CREATE_ATTEMPTS) throw error;
            }
            const [made, ...copies] = await this.findMessagesWithProperty(mark.propertyId, mark.value);
            for (const copy of copies) await this.deleteMessage(copy);
            if (made) return made;
        }
    }

    /** A file attachment small enough for one request (base64 in JSON stays under the 4 MB cap). */
    async addAttachment(messageId: string, attachment: NewAttachment, bytes: Buffer): Promise<void> {
        await this.post(this.attachmentsPath(messageId), {
            '@odata.type': '#microsoft.graph.fileAttachment',
            ...attachment,
            contentBytes: bytes.toString('base64'),
        });
    }

    /** A forwarded message as an item attachment: the message given as JSON, without attachments of its own. */
    async addItemAttachment(messageId: string, name: string, item: NewMessage): Promise<void> {
        await this.post(this.attachmentsPath(messageId), {
            '@odata.type': '#microsoft.graph.itemAttachment',
            name,
            item: { '@odata.type': '#microsoft.graph.message', ...item },
        });
    }

    /**
     * A cloud link as a reference attachment. Its `sourceUrl` is documented in beta only (v1.0 lists no property
     * that holds the link), so this one request goes to beta (docs/graph-behaviour.md, "Attachments in the MIME").
     */
    async addReferenceAttachment(messageId: string, name: string, sourceUrl: string): Promise<void> {
        const body = { '@odata.type': '#microsoft.graph.referenceAttachment', name, sourceUrl };
        await this.post(this.attachmentsPath(messageId), body, 'beta');
    }

    /**
     * A large file attachment through an upload session, streamed range by range (never whole in memory);
     * the library's LargeFileUploadTask sends the ranges, holding one of the mailbox's slots throughout.
     */
    async uploadAttachment(
        messageId: string,
        attachment: NewAttachment,
        size: number,
        content: Readable,
    ): Promise<void> {
        const session = await this.post<{ uploadUrl: string; expirationDateTime: string }>(
            `${this.attachmentsPath(messageId)}/createUploadSession`,
            { AttachmentItem: { attachmentType: 'file', size, ...attachment } },
        );
        const file = new StreamSlices(content, attachment.name, size, this.budget);
        const task = new CheckedUploadTask(
            this.graph.client,
            file,
            { url: session.uploadUrl, expiry: new Date(session.expirationDateTime) },
            { rangeSize: UPLOAD_RANGE_BYTES },
        );
        await this.graph.withSlot(() => task.upload());
    }

    /** Ids of the mailbox's messages whose single-value extended property `propertyId` has this value. */
    async findMessagesWithProperty(propertyId: string, value: string): Promise<string[]> {
        const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
        const filter = `singleValueExtendedProperties/Any(ep: ep/id eq ${quote(propertyId)} and ep/value eq ${quote(value)})`;
        const ids: string[] = [];
        const url = `${this.graph.userPath}/messages?$filter=${encodeURIComponent(filter)}&$select=id`;
        for await (const page of this.graph.pages<{ id?: string }>(url)) {
            for (const message of page.value) if (message.id) ids.push(message.id);
        }
        return ids;
    }

    /** Deletes a message; one already gone is fine. */
    async deleteMessage(messageId: string): Promise<void> {
        try {
            await this.graph.delete(`${this.graph.userPath}/messages/${encodeURIComponent(messageId)}`);
        } catch (error) {
            if (classifyGraphError(error) !== 'notFound') throw error;
        }
    }

    /** Serialised once, here: its length is taken from the upload budget, and the client sends the string as is. */
    private async post<T>(path: string, body: unknown, version?: 'beta'): Promise<T> {
        const json = JSON.stringify(body);
        await this.budget.reserve(Buffer.byteLength(json));
        return this.graph.post<T>(path, json, version);
    }

    private attachmentsPath(messageId: string): string {
        return `${this.graph.userPath}/messages/${encodeURIComponent(messageId)}/attachments`;
    }
}

/** Attempts at one upload range: the upload URL is Outlook's, outside the Graph client's retry middleware. */
const RANGE_ATTEMPTS = 4;

/**
 * The library's task treats any answer to a range PUT other than 201 as progress, and then fails on the
 * missing `nextExpectedRanges`; this makes a refused range fail with Graph's own error instead. The range
 * goes to the upload URL with a plain fetch, which no retry middleware sees, so a throttled (429, honouring
 * Retry-After), failing (5xx) or dropped range is sent again here, the same bytes to the same offsets.
 */
class CheckedUploadTask<T> extends LargeFileUploadTask<T> {
    override async uploadSliceGetRawResponse(fileSlice: unknown, range: Range, totalSize: number): Promise<Response> {
        for (let attempt = 1; ; attempt++) {
            let response: Response;
            try {
                response = await super.uploadSliceGetRawResponse(fileSlice, range, totalSize);
            } catch (error) {
                if (attempt >= RANGE_ATTEMPTS) throw error;
                await pause(backoffMs(attempt));
                continue;
            }
            if (response.ok) return response;
            if (attempt >= RANGE_ATTEMPTS || (response.status !== 429 && response.status < 500)) {
                throw await toGraphError(response);
            }
            const retryAfter = Number(response.headers.get('Retry-After'));
            await response.body?.cancel();
            await pause(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoffMs(attempt));
        }
    }
}

function backoffMs(attempt: number): number {
    return 1000 * 2 ** (attempt - 1);
}

function pause(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The ranges of a stream in order, each taken from the upload budget before it is read. The library's
 * StreamUpload adds listeners to the stream per range, which warns past ten ranges (30 MB here).
 */
class StreamSlices implements FileObject<Readable> {
    private readonly chunks: AsyncIterator<Buffer>;
    private pending: Buffer = Buffer.alloc(0);

    constructor(
        readonly content: Readable,
        readonly name: string,
        readonly size: number,
        private readonly budget: UploadBudget,
    ) {
        this.chunks = (content as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    }

    async sliceFile(range: Range): Promise<Buffer> {
        const length = range.maxValue - range.minValue + 1;
        await this.budget.reserve(length);
        const parts: Buffer[] = [this.pending];
        let have = this.pending.length;
        while (have < length) {
            const next = await this.chunks.next();
            if (next.done)
                throw new Error(`Attachment ${this.name} ended after ${range.minValue + have} of ${this.size} bytes`);
            parts.push(next.value);
            have += next.value.length;
        }
        const joined = Buffer.concat(parts);
        this.pending = joined.subarray(length);
        return joined.subarray(0, length);
    }
}
