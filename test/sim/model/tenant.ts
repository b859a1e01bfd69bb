import { randomInt } from 'node:crypto';
import { Rng } from './rng';
import { SimUser, type UserInput } from './user';

export interface TenantOptions {
    /** Same seed, same ids and content; random when absent. */
    seed?: number;
    /** The initial (onmicrosoft.com) domain, used for guest UPNs. */
    domain?: string;
}

/** The directory: users in creation order, addressable by id or case-insensitive UPN as Graph allows. */
export class Tenant {
    readonly domain: string;
    readonly rng: Rng;
    /**
     * The application permission granted for mail: with Mail.Read only, every write answers 403
     * (docs/graph-behaviour.md, "Permissions").
     */
    mailPermission: 'Mail.Read' | 'Mail.ReadWrite' = 'Mail.ReadWrite';
    private readonly byKey = new Map<string, SimUser>();
    private readonly ordered: SimUser[] = [];

    constructor(options: TenantOptions = {}) {
        this.rng = new Rng(options.seed ?? randomInt(2 ** 31));
        this.domain = options.domain ?? 'contoso.onmicrosoft.com';
    }

    addUser(input: UserInput): SimUser {
        const user = new SimUser(this.rng, input, this.domain);
        if (this.byKey.has(user.upn.toLowerCase())) throw new Error(`user ${user.upn} already exists`);
        this.byKey.set(user.upn.toLowerCase(), user);
        this.byKey.set(user.id, user);
        this.ordered.push(user);
        return user;
    }

    removeUser(upnOrId: string): void {
        const user = this.user(upnOrId);
        this.byKey.delete(user.upn.toLowerCase());
        this.byKey.delete(user.id);
        this.ordered.splice(this.ordered.indexOf(user), 1);
    }

    user(upnOrId: string): SimUser {
        const user = this.findUser(upnOrId);
        if (!user) throw new Error(`no user '${upnOrId}'`);
        return user;
    }

    findUser(upnOrId: string): SimUser | undefined {
        return this.byKey.get(upnOrId) ?? this.byKey.get(upnOrId.toLowerCase());
    }

    users(): SimUser[] {
        return [...this.ordered];
    }
}
