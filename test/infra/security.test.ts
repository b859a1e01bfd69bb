/**
 * What a security review of infra/ looks for first: no key or secret anywhere, storage reachable only
 * with Entra ID, and roles for exactly the storage services the code uses.
 */
import { describe, expect, it } from 'vitest';

import { ROLES } from '../../src/functions/shared/caller';
import { bicepFiles, bicepParams, bicepResources, block, filesUnder, read, readCode, readJson } from './sources';

// Built-in role definition ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
const BUILT_IN_ROLES: Record<string, string> = {
    storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
    keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
    keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
};

// The roles that let a principal do a storage service's data operations.
const GRANTS: Record<'blob' | 'queue' | 'table', string[]> = {
    blob: ['storageBlobDataContributor', 'storageBlobDataOwner'],
    queue: ['storageQueueDataContributor'],
    table: ['storageTableDataContributor'],
};

const templates = () => [...bicepFiles(), 'infra/main.parameters.json', 'infra/workbook.json', 'azure.yaml'];

/** Storage services the given source files use, from the SDKs they import. */
function servicesImported(files: string[]): Set<keyof typeof GRANTS> {
    const services = new Set<keyof typeof GRANTS>();
    for (const file of files) {
        const text = readCode(file);
        if (text.includes("'@azure/storage-blob'")) services.add('blob');
        if (text.includes("'@azure/storage-queue'")) services.add('queue');
        if (text.includes("'@azure/data-tables'")) services.add('table');
    }
    return services;
}

function roleList(rbac: string, name: string): string[] {
    const list = new RegExp(`^var ${name} = \\[(.*)\\]$`, 'm').exec(rbac);
    if (!list) throw new Error(`rbac.bicep: no var ${name}`);
    return [...list[1]!.matchAll(/roles\.(\w+)/g)].map((m) => m[1]!);
}

describe('no secrets in templates', () => {
    it('holds no account key, key listing, SAS, connection string with a key, or secret value', () => {
        for (const file of templates()) {
            const text = read(file);
            expect(text, file).not.toMatch(/list(Keys|AccountSas|ServiceSas|Secrets?)\s*\(/i);
            expect(text, file).not.toMatch(/AccountKey\s*=|SharedAccessSignature\s*=|sig=/i);
            expect(text, file).not.toMatch(/allowSharedKeyAccess:\s*true/);
            // An Entra client secret (`xxx8Q~...`) or a PEM private key pasted in.
            expect(text, file).not.toMatch(/[\w.-]{3}\dQ~[\w.~-]{31,}|-----BEGIN [A-Z ]*PRIVATE KEY/);
        }
    });

    it('takes no secret as a parameter and outputs none', () => {
        for (const file of bicepFiles()) {
            const text = read(file);
            expect(text, file).not.toContain('@secure()');
            for (const [, name, value] of text.matchAll(/^output (\w+) \w+ = (.*)$/gm)) {
                expect(name, file).not.toMatch(/SECRET|PASSWORD|KEY$|CONNECTION_STRING/i);
                expect(value, `${file}: output ${name}`).not.toMatch(/ConnectionString|list\w*\(|secrets\//);
            }
        }
    });

    it('passes the client secret only as a Key Vault reference', () => {
        const api = read('infra/app/api.bicep');
        expect(api).toMatch(
            /EXCHANGE_CLIENT_SECRET: '@Microsoft\.KeyVault\(SecretUri=\$\{keyVaultUri\}secrets\/[\w-]+\)'/,
        );
        expect(api).toMatch(/keyVaultReferenceIdentity: identityId/);
        const vault = bicepResources('infra/app/keyvault.bicep').find((r) => r.type === 'Microsoft.KeyVault/vaults');
        expect(vault?.body).toMatch(/enableRbacAuthorization: true/);
        expect(vault?.body).toMatch(/enablePurgeProtection: true/);
    });
});

describe('storage accounts', () => {
    const accounts = bicepFiles().flatMap((file) =>
        bicepResources(file)
            .filter((r) => r.type === 'Microsoft.Storage/storageAccounts' && !r.existing)
            .map((r) => ({ file, body: r.body })),
    );

    it('accept Entra ID only, no anonymous reads, TLS 1.2 and double encryption', () => {
        expect(accounts.map((a) => a.file)).toEqual(['infra/app/backup-storage.bicep', 'infra/app/host-storage.bicep']);
        for (const { file, body } of accounts) {
            expect(body, file).toMatch(/allowSharedKeyAccess: false/);
            expect(body, file).toMatch(/allowBlobPublicAccess: false/);
            expect(body, file).toMatch(/minimumTlsVersion: 'TLS1_2'/);
            expect(body, file).toMatch(/supportsHttpsTrafficOnly: true/);
            expect(body, file).toMatch(/requireInfrastructureEncryption: true/);
        }
    });

    it('keep deleted and overwritten backup blobs restorable, and tier content and attachments by age', () => {
        const text = read('infra/app/backup-storage.bicep');
        expect(block(text, /^resource blobService /m)).toMatch(
            /isVersioningEnabled: true[\s\S]*deleteRetentionPolicy: \{ enabled: true/,
        );
        const prefixes = /prefixMatch: \[('\$\{containerName\}\/content\/'), ('\$\{containerName\}\/attachments\/')\]/;
        expect(text).toMatch(prefixes);
        expect(text).toMatch(/tierToCool: \{ daysAfterModificationGreaterThan: coolAfterDays \}/);
        expect(text).toMatch(/tierToCold: \{ daysAfterModificationGreaterThan: /);
        // The tiered prefixes are where the code writes content (src/store/contentStore.ts).
        const layout = read('src/store/contentStore.ts');
        expect(layout).toMatch(/`content\/\$\{/);
        expect(layout).toMatch(/`attachments\/\$\{/);
    });

    it('apply an immutability policy only when asked (off by default)', () => {
        const text = read('infra/app/backup-storage.bicep');
        expect(text).toMatch(/immutabilityPolicies@[\w-]+' = if \(immutabilityDays > 0\)/);
        expect(read('infra/main.bicep')).toMatch(/^param immutabilityDays int = 0$/m);
    });
});

describe('role assignments', () => {
    const rbac = read('infra/app/rbac.bicep');
    const roles = Object.fromEntries(
        [...block(rbac, /^var roles = /m).matchAll(/(\w+): '([0-9a-f-]{36})'/g)].map((m) => [m[1]!, m[2]!]),
    );
    const engineFiles = ['src/store', 'src/backup', 'src/recovery', 'src/functions'].flatMap((dir) =>
        filesUnder(dir, ['.ts']).filter((f) => !f.endsWith('azurite.ts')),
    );

    it('name each role by its real built-in id', () => {
        expect(Object.keys(roles).length).toBeGreaterThan(0);
        for (const [name, id] of Object.entries(roles)) expect(id, name).toBe(BUILT_IN_ROLES[name]);
    });

    it('use no role outside that list anywhere in infra/ (no Owner, Contributor or key-listing role)', () => {
        const known = new Set(Object.values(BUILT_IN_ROLES));
        for (const file of bicepFiles()) {
            const guids = read(file).match(/'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'/g) ?? [];
            const graphAppId = "'00000003-0000-0000-c000-000000000000'";
            // Azure CLI's application id, pre-authorized to ask for tokens for the management API.
            const azureCliAppId = "'04b07795-8ddb-461a-bbee-02f9e1bf7b46'";
            expect(
                guids.filter((g) => g !== graphAppId && g !== azureCliAppId && !known.has(g.slice(1, -1))),
                file,
            ).toEqual([]);
        }
    });

    it('give the identity a data role for every storage service the engine uses, on the backup account', () => {
        const used = servicesImported(engineFiles);
        expect(used.has('blob') && used.has('table')).toBe(true);
        const granted = roleList(rbac, 'backupRoles');
        for (const service of used)
            expect(granted, service).toEqual(expect.arrayContaining([expect.toBeOneOf(GRANTS[service])]));
        // Leases and Copy Blob From URL need no ownership: Owner would also let it change ACLs.
        expect(granted).not.toContain('storageBlobDataOwner');
    });

    it('give the host what Durable Functions needs on its account: blobs, queues and tables', () => {
        const durable = readJson<{ extensions?: { durableTask?: unknown } }>('host.json').extensions?.durableTask;
        expect(durable).toBeDefined();
        const granted = roleList(rbac, 'hostRoles');
        for (const service of ['blob', 'queue', 'table'] as const) {
            expect(granted, service).toEqual(expect.arrayContaining([expect.toBeOneOf(GRANTS[service])]));
        }
        // The Flex deployment container is read by the same identity; the host needs Blob Data Owner.
        expect(granted).toContain('storageBlobDataOwner');
    });

    it('assign those lists to the identity on the right scopes, and telemetry and secrets roles', () => {
        const assignments = bicepResources('infra/app/rbac.bicep').filter((r) => r.type.endsWith('/roleAssignments'));
        const summary = Object.fromEntries(
            assignments.map((r) => {
                const loop = /for role in \(?(.*?)\)?:$/.exec(r.header)?.[1];
                const single = /roleDefinitions', roles\.(\w+)\)/.exec(r.body)?.[1];
                return [r.symbol, `${/scope: (\w+)/.exec(r.body)?.[1]} ${loop ?? single}`];
            }),
        );
        expect(summary).toMatchObject({
            identityOnBackup: 'backupAccount backupAccountRoles',
            identityOnHost: 'hostAccount separateHostStorage ? hostRoles : []',
            identityOnApplicationInsights: 'applicationInsights monitoringMetricsPublisher',
            identityOnVault: 'vault keyVaultSecretsUser',
        });
        for (const r of assignments.filter((a) => a.symbol.startsWith('identity'))) {
            expect(r.body, r.symbol).toMatch(/principalId: identityPrincipalId/);
        }
        expect(rbac).toMatch(/^var backupAccountRoles = separateHostStorage \? backupRoles : hostRoles$/m);
    });
});

describe('Graph permissions', () => {
    const main = read('infra/main.bicep');

    it('grant User.Read.All and Mail.Read, and Mail.ReadWrite only when restore is enabled', () => {
        const roles = /^var graphAppRoles = enableRestore \? (\[.*?\]) : (\[.*?\])$/m.exec(main);
        expect(roles).not.toBeNull();
        expect(JSON.parse(roles![1]!.replace(/'/g, '"'))).toEqual(['User.Read.All', 'Mail.Read', 'Mail.ReadWrite']);
        expect(JSON.parse(roles![2]!.replace(/'/g, '"'))).toEqual(['User.Read.All', 'Mail.Read']);
        // The same parameter turns restore on in the app, so the app never tries to write without the grant.
        expect(main).toMatch(/RESTORE_ENABLED: string\(enableRestore\)/);
    });

    it('grant them to the managed identity through the Microsoft Graph Bicep extension', () => {
        const graph = read('infra/app/graph-permissions.bicep');
        expect(graph).toMatch(/^extension microsoftGraphV1$/m);
        const config = readJson<{ extensions: Record<string, string> }>('infra/bicepconfig.json');
        expect(config.extensions.microsoftGraphV1).toMatch(
            /^br:mcr\.microsoft\.com\/bicep\/extensions\/microsoftgraph\/v1\.0:/,
        );
        expect(graph).toMatch(/resource \w+ 'Microsoft\.Graph\/appRoleAssignedTo@v1\.0'/);
        expect(main).toMatch(/principalId: identity\.outputs\.principalId\s+appRoles: graphAppRoles/);
    });
});

describe('who may reach the backup', () => {
    const main = read('infra/main.bicep');
    const params = new Map(bicepParams('infra/main.bicep').map((p) => [p.name, p.defaultText]));

    it('give no person a data role on the backup, host account or vault unless grantDeployerDataAccess', () => {
        expect(params.get('grantDeployerDataAccess')).toBe('false');
        expect(main).toMatch(/^\s+userPrincipalId: grantDeployerDataAccess \? principalId : ''$/m);
        const people = bicepResources('infra/app/rbac.bicep').filter((r) => r.symbol.startsWith('user'));
        expect(people.map((r) => r.symbol).sort()).toEqual(['userOnBackup', 'userOnHost', 'userOnVault']);
        for (const r of people) {
            expect(r.header, r.symbol).toMatch(/withUser/);
            expect(r.body, r.symbol).toMatch(/principalId: userPrincipalId/);
        }
        expect(read('infra/app/rbac.bicep')).toMatch(/^var withUser = !empty\(userPrincipalId\)$/m);
    });

    it('put Entra ID in front of every endpoint, with the app roles the code checks', () => {
        const auth = bicepResources('infra/app/api.bicep').find(
            (r) => r.type === 'Microsoft.Web/sites/config' && /authsettingsV2/.test(r.body),
        );
        expect(auth?.body).toMatch(/requireAuthentication: true/);
        expect(auth?.body).toMatch(/unauthenticatedClientAction: 'Return401'/);
        expect(auth?.body).toMatch(/azureActiveDirectory: \{\s+enabled: true/);
        expect(auth?.body).toMatch(/clientId: managementClientId/);
        expect(auth?.body).toMatch(/allowedAudiences: \[managementClientId/);
        const registration = read('infra/app/api-auth.bicep');
        const declared = [...registration.matchAll(/value: '(MailBackup\.\w+)'/g)].map((m) => m[1]);
        const checked = Object.values(ROLES);
        expect(declared.sort()).toEqual([...checked].sort());
        expect(registration).toMatch(/appRoleAssignmentRequired: true/);
        expect(main).toMatch(/module apiAuth 'app\/api-auth\.bicep' = if \(empty\(managementApiClientId\)\)/);
        expect(main).toMatch(
            /managementClientId: empty\(managementApiClientId\) \? apiAuth!\.outputs\.clientId : managementApiClientId/,
        );
    });

    it('can keep the backup account off the internet, through private endpoints for each service the engine uses', () => {
        expect(params.get('privateBackupStorage')).toBe('false');
        expect(main).toMatch(/^var privateBackup = privateBackupStorage && separateHostStorage$/m);
        expect(main).toMatch(/module network 'app\/network\.bicep' = if \(privateBackup\)/);
        expect(main).toMatch(/publicNetworkAccess: !privateBackup/);
        expect(main).toMatch(/virtualNetworkSubnetId: privateBackup \? network!\.outputs\.appSubnetId : ''/);
        const storage = read('infra/app/backup-storage.bicep');
        expect(storage).toMatch(/publicNetworkAccess: publicNetworkAccess \? 'Enabled' : 'Disabled'/);
        const network = read('infra/app/network.bicep');
        // Flex Consumption integrates only with a subnet delegated to Microsoft.App/environments.
        expect(network).toMatch(/serviceName: 'Microsoft\.App\/environments'/);
        const services = JSON.parse(/^var services = (\[.*\])$/m.exec(network)![1]!.replace(/'/g, '"')) as string[];
        const engineFiles = ['src/store', 'src/backup', 'src/recovery'].flatMap((dir) => filesUnder(dir, ['.ts']));
        expect(services.sort()).toEqual([...servicesImported(engineFiles)].sort());
        expect(read('infra/app/api.bicep')).toMatch(/virtualNetworkSubnetId: empty\(virtualNetworkSubnetId\) \? null/);
    });
});
