import type { Client } from '@microsoft/microsoft-graph-client';

import { type Env, loadGraphSettings } from '../config';
import { createCredential, graphScope } from '../graph/credentials';
import { createGraphClient } from '../graph/graphClient';
import { toBackupError } from '../graph/graphErrors';

/**
 * Signs in to Microsoft Graph — gets a token — before the command touches storage, so a wrong secret,
 * an unknown tenant or an unreachable Entra ID fail with one line and leave the storage account as
 * they found it. The credential keeps the token, so the client's first request does not ask again.
 */
export async function signInToGraph(env: Env): Promise<Client> {
    const settings = loadGraphSettings(env);
    const credential = createCredential(settings);
    try {
        await credential.getToken(graphScope(settings.graphEndpoint));
    } catch (error) {
        throw toBackupError(error, 'signing in to Microsoft Graph');
    }
    return createGraphClient(credential, settings.graphEndpoint);
}
