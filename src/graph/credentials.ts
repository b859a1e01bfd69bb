import {
    AzureAuthorityHosts,
    ClientCertificateCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
    type TokenCredential,
} from '@azure/identity';

export interface GraphSettings {
    /**
     * Entra ID host that issues tokens; national clouds need their own
     * (docs/graph-behaviour.md, "Tokens and national clouds").
     */
    authorityHost: string;
    /** Microsoft Graph root, without version: https://graph.microsoft.com. */
    graphEndpoint: string;
    credential: CredentialSettings;
}

export type CredentialSettings =
    | { kind: 'secret'; tenantId: string; clientId: string; clientSecret: string }
    | { kind: 'certificate'; tenantId: string; clientId: string; certificatePath: string }
    | { kind: 'managedIdentity'; clientId?: string };

const KNOWN_AUTHORITY_HOSTS = new Set<string>(Object.values(AzureAuthorityHosts).map((host) => new URL(host).origin));

/**
 * The app-only credential for Graph: a client secret or certificate of an app registration,
 * or the managed identity of the Functions app when neither is configured.
 */
export function createCredential(settings: GraphSettings): TokenCredential {
    const options = {
        authorityHost: settings.authorityHost,
        // MSAL would otherwise ask login.microsoftonline.com to validate any host it does not know,
        // which fails offline and for private authorities (docs/graph-behaviour.md, "Tokens and national clouds").
        disableInstanceDiscovery: !KNOWN_AUTHORITY_HOSTS.has(settings.authorityHost),
    };
    const credential = settings.credential;
    switch (credential.kind) {
        case 'secret':
            return new ClientSecretCredential(
                credential.tenantId,
                credential.clientId,
                credential.clientSecret,
                options,
            );
        case 'certificate':
            return new ClientCertificateCredential(
                credential.tenantId,
                credential.clientId,
                { certificatePath: credential.certificatePath },
                options,
            );
        case 'managedIdentity':
            return credential.clientId
                ? new ManagedIdentityCredential({ clientId: credential.clientId })
                : new ManagedIdentityCredential();
    }
}

/** Tokens are issued for the Graph host of the same cloud (docs/graph-behaviour.md, "Tokens and national clouds"). */
export function graphScope(graphEndpoint: string): string {
    return `${graphEndpoint}/.default`;
}
