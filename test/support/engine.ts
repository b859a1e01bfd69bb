import type { EngineDeps } from '../../src/backup/mailboxBackup';
import type { Logger } from '../../src/common/logger';
import type { Mailbox } from '../../src/common/mailbox';
import type { ProgressEvent } from '../../src/backup/mailboxContext';
import { loadGraphSettings } from '../../src/config';
import { createCredential } from '../../src/graph/credentials';
import { createGraphClient } from '../../src/graph/graphClient';
import type { SimUser } from '../sim';
import type { Harness } from './harness';

/**
 * What `backupMailbox` needs to back up one mailbox of a harness's tenant, wired from the same settings a user
 * gives, with a clock and a progress listener the test controls. `pause`: how the Graph client waits out the
 * back-off before sending a failed request again (a timer by default).
 */
export function engineFor(
    h: Harness,
    clock: {
        now: () => Date;
        progress?: (event: ProgressEvent) => void;
        pause?: (ms: number) => Promise<void>;
    } = { now: () => new Date() },
): EngineDeps {
    const settings = loadGraphSettings(h.env);
    const log: Logger = { info: (m) => h.logs.push(m), warn: (m) => h.logs.push(`WARN ${m}`) };
    return {
        client: createGraphClient(createCredential(settings), settings.graphEndpoint, { pause: clock.pause }),
        storage: h.storage,
        now: clock.now,
        progress: clock.progress,
        log,
    };
}

/** The mailbox as discovery would report it. */
export function mailboxOf(user: SimUser): Mailbox {
    return { id: user.id, userPrincipalName: user.upn, displayName: user.displayName, shared: user.kind === 'shared' };
}

/**
 * A clock whose time budget runs out after a number of delta pages that held messages: until then it tells the
 * real time, afterwards an hour later, so a slice given `deadline` stops at a page boundary the test chose.
 */
export class PageBudgetClock {
    private pages = 0;

    constructor(private readonly pagesAllowed: number) {}

    /** Any deadline within the hour works: the clock jumps past it once the pages are spent. */
    readonly deadline = Date.now() + 30 * 60_000;

    readonly now = (): Date => new Date(Date.now() + (this.pages >= this.pagesAllowed ? 60 * 60_000 : 0));

    readonly progress = (event: ProgressEvent): void => {
        if (event.kind === 'messages' && event.processed > 0) this.pages++;
    };
}
