/**
 * What azd, ARM and Azure Monitor need from the files in infra/ and azure.yaml, checked without them:
 * parameters that exist, modules that take what they are given, a workbook the portal opens, and
 * queries that read the summary lines the code really logs.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { MAILBOX_EVENT, RUN_EVENT, mailboxSummaryEvent, runSummaryEvent } from '../../src/backup/runEvents';
import { RESTORE_EVENT, restoreEvent } from '../../src/functions/shared/restoreEvents';
import type { MailboxRunEntity, RunEntity } from '../../src/store/entities';
import { ROOT, bicepFiles, bicepParams, bicepResources, block, objectKeys, read, readJson } from './sources';

interface AzureYaml {
    name?: string;
    services?: Record<string, { project?: string; language?: string; host?: string; remoteBuild?: boolean }>;
    hooks?: Record<string, unknown>;
}

interface WorkbookItem {
    type: number;
    name: string;
    content: { version?: string; query?: string; resourceType?: string; visualization?: string };
}

/** The JSON fields a summary line carries: every property the code writes, whatever its value. */
function fieldsOf(line: string, prefix: string): string[] {
    return Object.keys(JSON.parse(line.slice(prefix.length + 1)) as object);
}
const anything = new Proxy({}, { get: (_, key) => (key === 'then' ? undefined : 0) });
const RUN_FIELDS = fieldsOf(runSummaryEvent(anything as RunEntity), RUN_EVENT);
const MAILBOX_FIELDS = fieldsOf(mailboxSummaryEvent(anything as MailboxRunEntity), MAILBOX_EVENT);
const RESTORE_FIELDS = fieldsOf(restoreEvent({ restoreId: '', source: '' }, { status: '' }), RESTORE_EVENT);

/** Checks a KQL query against the code's summary lines: the prefix, the offset of the JSON, the fields read. */
function expectReadsSummaries(query: string, where: string): void {
    const events = [
        { prefix: RUN_EVENT, variable: 'run', fields: RUN_FIELDS },
        { prefix: MAILBOX_EVENT, variable: 'mailbox', fields: MAILBOX_FIELDS },
        { prefix: RESTORE_EVENT, variable: 'restore', fields: RESTORE_FIELDS },
    ].filter((e) => query.includes(`startswith "${e.prefix} "`));
    expect(events, `${where} reads no summary line`).not.toHaveLength(0);
    for (const { prefix, variable, fields } of events) {
        expect(query, where).toContain(`extend ${variable} = parse_json(substring(message, ${prefix.length + 1}))`);
        for (const [, field] of query.matchAll(new RegExp(`\\b${variable}\\.(\\w+)`, 'g'))) {
            expect(fields, `${where}: ${variable}.${field}`).toContain(field);
        }
    }
}

describe('azure.yaml', () => {
    const azure = parse(read('azure.yaml')) as AzureYaml;

    it('deploys the project root as a TypeScript Function App service named api', () => {
        expect(azure.name).toMatch(/^[a-z][a-z0-9-]+$/);
        expect(azure.services?.api).toMatchObject({ project: '.', language: 'ts', host: 'function' });
        // The service name is how azd finds the site: main.bicep tags it so.
        expect(read('infra/main.bicep')).toMatch(/'azd-service-name': 'api'/);
    });

    it('builds the TypeScript somewhere: remotely on Flex, or in a prepackage hook', () => {
        const api = azure.services!.api!;
        const pkg = readJson<{ main: string; scripts: Record<string, string> }>('package.json');
        expect(pkg.scripts.build).toBeTruthy();
        expect(pkg.main).toMatch(/^dist\/src\/.*functions\/\*\.js/);
        if (api.remoteBuild !== true) expect(JSON.stringify(azure.hooks?.prepackage ?? '')).toMatch(/npm run build/);
    });

    it('uploads no local backup data, settings, secrets or tests (.funcignore)', () => {
        const ignored = read('.funcignore').split('\n');
        for (const entry of [
            '.mail-backup',
            'local.settings.json',
            '.env',
            '.env.*',
            'test',
            'node_modules',
            '.azure',
        ]) {
            expect(ignored).toContain(entry);
        }
    });
});

describe('infra/main.parameters.json', () => {
    const file = readJson<{ $schema: string; contentVersion: string; parameters: Record<string, { value: unknown }> }>(
        'infra/main.parameters.json',
    );
    const params = new Map(bicepParams('infra/main.bicep').map((p) => [p.name, p]));

    it('is a deployment parameters file', () => {
        expect(file.$schema).toMatch(/deploymentParameters\.json#$/);
        expect(file.contentVersion).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        expect(typeof file.parameters).toBe('object');
    });

    it('names only parameters main.bicep declares, and every one it requires', () => {
        for (const name of Object.keys(file.parameters)) expect(params.has(name), name).toBe(true);
        const required = [...params.values()].filter((p) => p.defaultText === undefined).map((p) => p.name);
        expect(Object.keys(file.parameters)).toEqual(expect.arrayContaining(required));
        expect(file.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
        expect(file.parameters.location?.value).toBe('${AZURE_LOCATION}');
    });

    it('falls back to the same defaults as main.bicep when an azd variable is not set', () => {
        for (const [name, { value }] of Object.entries(file.parameters)) {
            const fallback = /^\$\{\w+=(.*)\}$/.exec(String(value))?.[1];
            if (fallback === undefined) continue;
            const bicepDefault = params.get(name)?.defaultText?.replace(/^'(.*)'$/, '$1');
            expect(fallback, name).toBe(bicepDefault);
        }
    });
});

describe('Bicep files', () => {
    it('use only abbreviations that abbreviations.json has', () => {
        const abbreviations = readJson('infra/abbreviations.json');
        for (const [, key] of read('infra/main.bicep').matchAll(/abbrs\.(\w+)/g)) {
            expect(abbreviations, key).toHaveProperty(key!);
        }
    });

    it('call modules that exist with exactly the parameters they declare', () => {
        const main = read('infra/main.bicep');
        for (const m of main.matchAll(/^module (\w+) '([^']+)' = /gm)) {
            const file = path.join('infra', m[2]!);
            expect(existsSync(path.join(ROOT, file)), file).toBe(true);
            const declared = bicepParams(file);
            const given = objectKeys(block(block(main.slice(m.index), /=[^{]*/), /^\s*params: /m));
            expect(
                given.filter((p) => !declared.some((d) => d.name === p)),
                `${m[1]} unknown params`,
            ).toEqual([]);
            const required = declared.filter((d) => d.defaultText === undefined).map((d) => d.name);
            expect(
                required.filter((p) => !given.includes(p)),
                `${m[1]} missing params`,
            ).toEqual([]);
        }
    });

    it('load only files that exist', () => {
        for (const file of bicepFiles()) {
            for (const [, loaded] of read(file).matchAll(/load(?:Text|Json)Content\('([^']+)'\)/g)) {
                expect(existsSync(path.resolve(ROOT, path.dirname(file), loaded!)), `${file}: ${loaded}`).toBe(true);
            }
        }
    });

    it('run the app on Flex Consumption, Node 22, with one always-ready Durable instance and deployment by identity', () => {
        const api = read('infra/app/api.bicep');
        expect(api).toMatch(/sku: \{ name: 'FC1', tier: 'FlexConsumption' \}/);
        expect(api).toMatch(/runtime: \{ name: 'node', version: '22' \}/);
        expect(api).toMatch(/alwaysReady: \[\{ name: 'durable', instanceCount: 1 \}\]/);
        expect(block(api, /^\s*deployment: /m)).toMatch(/type: 'UserAssignedIdentity'/);
        expect(api).toMatch(/type: 'UserAssigned'\s/);
        const monitoring = bicepResources('infra/app/monitoring.bicep').find((r) => r.symbol === 'applicationInsights');
        expect(monitoring?.body).toMatch(/DisableLocalAuth: true/);
    });
});

describe('monitoring', () => {
    const workbook = readJson<{ version: string; items: WorkbookItem[] }>('infra/workbook.json');
    const queries = workbook.items.filter((i) => i.type === 3);

    it('ships a workbook Azure Monitor opens: Notebook/1.0 with items', () => {
        expect(workbook.version).toBe('Notebook/1.0');
        expect(workbook.items.length).toBeGreaterThan(0);
        for (const item of queries) {
            expect(item.content.version, item.name).toBe('KqlItem/1.0');
            expect(item.content.resourceType, item.name).toBe('microsoft.insights/components');
        }
        expect(read('infra/app/alerts.bicep')).toMatch(/serializedData: loadTextContent\('\.\.\/workbook\.json'\)/);
    });

    it('charts runs, messages and bytes per run, failed mailboxes and throttling', () => {
        const all = queries.map((q) => q.content.query ?? '').join('\n');
        for (const field of ['status', 'messagesNew', 'bytesDownloaded', 'bytesStored', 'graphThrottled']) {
            expect(all).toContain(`run.${field}`);
        }
        expect(all).toMatch(/mailbox\.status[\s\S]*"failed"/);
    });

    it('reads in every workbook query only fields the code logs, at the offset it logs them', () => {
        for (const item of queries) expectReadsSummaries(item.content.query ?? '', `workbook item ${item.name}`);
    });

    const alerts = read('infra/app/alerts.bicep');
    const alertQuery = (name: string) => new RegExp(`var ${name} = '''([\\s\\S]*?)'''`).exec(alerts)?.[1] ?? '';
    const mainParams = new Map(bicepParams('infra/main.bicep').map((p) => [p.name, p.defaultText]));

    it('shows the last successful backup per mailbox, stale past the same hours as the alert', () => {
        const item = queries.find((q) =>
            /mailbox\.status[\s\S]*maxif\(timestamp, status == "succeeded"\)/.test(q.content.query ?? ''),
        );
        expect(item, "a workbook query of each mailbox's last succeeded backup").toBeDefined();
        expect(item!.content.query).toMatch(/by upn/);
        expect(item!.content.query).toContain('{StaleHours}');
        const parameters = workbook.items.find((i) => i.type === 9) as unknown as {
            content: { parameters: { name: string; value: unknown }[] };
        };
        const stale = parameters.content.parameters.find((p) => p.name === 'StaleHours');
        expect(stale?.value).toBe(mainParams.get('backupStaleHours'));
    });

    it('alerts per mailbox with no succeeded backup for backupStaleHours (26 by default), whatever stopped the runs', () => {
        const query = alertQuery('staleBackupsQuery');
        expectReadsSummaries(query, 'stale-backup alert');
        expect(query).toMatch(/maxif\(timestamp, status == "succeeded"\)/);
        expect(query).toMatch(/where status != "skipped"/);
        expect(query).toContain('ago({staleHours}h)');
        expect(alerts).toMatch(/query: replace\(staleBackupsQuery, '\{staleHours\}', string\(backupStaleHours\)\)/);
        expect(alerts).toMatch(/dimensions: \[\{ name: 'upn'/);
        expect(mainParams.get('backupStaleHours')).toBe('26');
        expect(read('infra/main.bicep')).toMatch(/^\s+backupStaleHours: backupStaleHours$/m);
        // A mailbox is judged on the lines the alert reads: the stale hours must fit in its time range.
        const days = Number(/overrideQueryTimeRange: 'P(\d+)D'/.exec(alerts)?.[1]);
        const max = Number(
            /@maxValue\((\d+)\)\s*\n@description\([^\n]*\)\s*\nparam backupStaleHours/.exec(
                read('infra/main.bicep'),
            )?.[1],
        );
        expect(max).toBeLessThan(days * 24);
    });

    it('alerts on a restore that ended failed or partial, from the restore summary line', () => {
        const query = alertQuery('failedRestoresQuery');
        expectReadsSummaries(query, 'restore alert');
        expect(query).toMatch(/where tostring\(restore\.status\) in \("failed", "partial"\)/);
        expect(query).toContain('restore.requestedBy');
        expect(block(alerts, /^resource failedRestoreAlert /m)).toMatch(/query: failedRestoresQuery/);
    });

    it('alerts on a run that ended failed or partial, from the same summary line', () => {
        const alerts = read('infra/app/alerts.bicep');
        const query = /var failedRunsQuery = '''([\s\S]*?)'''/.exec(alerts)?.[1] ?? '';
        expectReadsSummaries(query, 'alert');
        expect(query).toMatch(/where tostring\(run\.status\) in \("failed", "partial"\)/);
        expect(alerts).toMatch(/operator: 'GreaterThan'\s+threshold: 0/);
        expect(alerts).toMatch(/emailAddress: alertEmail/);
    });
});
