import type { User } from '@microsoft/microsoft-graph-types';

import type { MailboxGraph } from './mailboxGraph';

export type DirectoryUser = Pick<
    User,
    'id' | 'userPrincipalName' | 'mail' | 'accountEnabled' | 'userType' | 'displayName'
>;

/**
 * Every user of the tenant. accountEnabled and userType come back only when selected
 * (docs/graph-behaviour.md, "Users and shared mailboxes"); shared mailboxes are disabled accounts that still have mail.
 */
export async function listUsers(graph: MailboxGraph): Promise<DirectoryUser[]> {
    const users: DirectoryUser[] = [];
    const url = '/users?$select=id,userPrincipalName,mail,accountEnabled,userType,displayName&$top=999';
    for await (const page of graph.pages<DirectoryUser>(url)) users.push(...page.value);
    return users;
}
