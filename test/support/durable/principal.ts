/**
 * The `x-ms-client-principal` header App Service authentication puts on a request it let through, as it
 * builds it for an Entra ID access token: claim types mapped to their long names, except the app roles,
 * which keep `roles` while `role_typ` names the long role claim (docs/security.md, "Who may call what").
 */
export interface TestCaller {
    objectId: string;
    name?: string;
    roles: string[];
}

export const ALL_ROLES = ['MailBackup.Read', 'MailBackup.Operate', 'MailBackup.Restore'];

/** An administrator holding every app role: what the harness calls endpoints as unless told otherwise. */
export const ADMINISTRATOR: TestCaller = {
    objectId: '00000000-0000-4000-8000-00000000ad01',
    name: 'admin@contoso.com',
    roles: ALL_ROLES,
};

export function principalHeader(caller: TestCaller): Record<string, string> {
    const principal = {
        auth_typ: 'aad',
        name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
        role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
        claims: [
            { typ: 'aud', val: '11111111-2222-3333-4444-555555555555' },
            { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: caller.objectId },
            { typ: 'preferred_username', val: caller.name ?? caller.objectId },
            ...caller.roles.map((role) => ({ typ: 'roles', val: role })),
        ],
    };
    return { 'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64') };
}
