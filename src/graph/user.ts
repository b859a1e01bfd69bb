import type { Client } from '@microsoft/microsoft-graph-client';
import type { User } from '@microsoft/microsoft-graph-types';

import { type EngineInput, InputError } from '../common/errors';
import { classifyGraphError, toBackupError } from './graphErrors';

/** One user of the tenant by UPN or object id; an InputError about `input` when there is none. */
export async function getUser(
    client: Client,
    upnOrId: string,
    input: EngineInput,
): Promise<{ id: string; userPrincipalName: string }> {
    try {
        const user = (await client
            .api(`/users/${encodeURIComponent(upnOrId)}`)
            .select('id,userPrincipalName')
            .get()) as Pick<User, 'id' | 'userPrincipalName'>;
        if (user.id) return { id: user.id, userPrincipalName: user.userPrincipalName ?? upnOrId };
    } catch (error) {
        if (classifyGraphError(error) !== 'notFound') throw toBackupError(error, `looking up ${upnOrId}`);
    }
    throw new InputError(input, `there is no user ${upnOrId} in the tenant`);
}
