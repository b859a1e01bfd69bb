import type { SimFolder } from './folder';
import { base64Url } from './ids';
import type { SimMessage } from './message';
import type { Rng } from './rng';

/**
 * Options given on the first delta request; Graph encodes them into the tokens (docs/graph-behaviour.md,
 * "Message delta").
 */
export interface DeltaQuery {
    select?: string[];
    expandSize: boolean;
    /** Caps the items of a round, not the page; whatever is beyond it is skipped for good. */
    top?: number;
}

export interface DeltaEntry {
    message: SimMessage;
    removed: boolean;
}

export interface DeltaPage {
    folder: SimFolder;
    query: DeltaQuery;
    entries: DeltaEntry[];
    link: { kind: 'next' | 'delta'; token: string };
}

export class SyncStateNotFound extends Error {
    constructor(
        readonly generation: number,
        readonly highest: number,
    ) {
        super(`The sync state generation is not found; generation=${generation};[highest=${highest}][${highest}].`);
    }
}

/** A snapshot of what one round reports, taken at its first page so later pages are stable. */
interface Round {
    folder: SimFolder;
    query: DeltaQuery;
    entries: DeltaEntry[];
    watermark: number;
    /** $top cut the round short: Graph then sends one more nextLink, whose page is empty but for the deltaLink. */
    truncated: boolean;
}

type TokenBody =
    | { kind: 'next'; round: Round; position: number }
    | { kind: 'delta'; folder: SimFolder; query: DeltaQuery; watermark: number };

type TokenState = TokenBody & { generation: number };

/**
 * Message delta for one mailbox. Each folder keeps a change log of (seq, message, removed); a delta token is the
 * seq a round was taken at, so the next round reports the log after it, collapsed to the latest state per message.
 * Tokens live here, not in the URL, so expire() can make every one issued so far answer 410 SyncStateNotFound.
 */
export class DeltaSync {
    /**
     * The largest page served whatever a client asks for. Graph documents no maximum and caps silently where it has
     * one (docs/graph-behaviour.md, "Paging"); a test lowers it to play a service that serves smaller pages.
     */
    maxPageSize = 1000;
    private tokens = new Map<string, TokenState>();
    private generation = 0;

    constructor(private readonly rng: Rng) {}

    /**
     * Whether any token was ever issued. Until then no round has a watermark, so a change log entry could never be
     * read: the mailbox skips recording, which keeps building a 100,000-message tenant cheap.
     */
    get tracking(): boolean {
        return this.generation > 0;
    }

    expire(): void {
        this.tokens = new Map();
    }

    /** The first page of an initial round: every message now in the folder. */
    start(folder: SimFolder, query: DeltaQuery, pageSize: number, seqNow: number): DeltaPage {
        const entries = [...folder.messages.values()].map((message) => ({ message, removed: false }));
        return this.page(this.round(folder, query, entries, seqNow), 0, pageSize);
    }

    /**
     * The page a skiptoken or deltatoken names. The folder in the URL must be the token's folder; the caller
     * checks the folder still exists first (a deleted folder answers 404, not 410).
     */
    resume(kind: 'next' | 'delta', token: string, folder: SimFolder, pageSize: number, seqNow: number): DeltaPage {
        const state = this.tokens.get(token);
        const tokenFolder = state?.kind === 'next' ? state.round.folder : state?.folder;
        if (!state || state.kind !== kind || tokenFolder !== folder) {
            throw new SyncStateNotFound(state?.generation ?? 0, this.generation);
        }
        if (state.kind === 'next') return this.page(state.round, state.position, pageSize);
        const latest = new Map<string, DeltaEntry>();
        for (const change of folder.changesSince(state.watermark)) {
            latest.delete(change.message.id);
            latest.set(change.message.id, { message: change.message, removed: change.removed });
        }
        return this.page(this.round(folder, state.query, [...latest.values()], seqNow), 0, pageSize);
    }

    private round(folder: SimFolder, query: DeltaQuery, entries: DeltaEntry[], seqNow: number): Round {
        const truncated = query.top !== undefined && entries.length > query.top;
        const capped = truncated ? entries.slice(0, query.top) : entries;
        return { folder, query, entries: capped, watermark: seqNow, truncated };
    }

    private page(round: Round, position: number, pageSize: number): DeltaPage {
        const end = position + pageSize;
        // An item that left the folder after the snapshot is skipped here; its removal comes in the next round.
        const entries = round.entries
            .slice(position, end)
            .filter((e) => e.removed || (!e.message.deleted && e.message.folder === round.folder));
        const more = end < round.entries.length || (round.truncated && position < round.entries.length);
        const link: DeltaPage['link'] = more
            ? { kind: 'next', token: this.issue({ kind: 'next', round, position: end }) }
            : {
                  kind: 'delta',
                  token: this.issue({
                      kind: 'delta',
                      folder: round.folder,
                      query: round.query,
                      watermark: round.watermark,
                  }),
              };
        return { folder: round.folder, query: round.query, entries, link };
    }

    private issue(state: TokenBody): string {
        // 31 random bytes end in '==', so a client that does not keep the token URL-encoded breaks visibly.
        const token = base64Url(this.rng.bytes(31));
        this.tokens.set(token, { ...state, generation: ++this.generation });
        return token;
    }
}
