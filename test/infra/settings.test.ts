/**
 * The app settings contract between the code and infra/: a setting the code reads but nobody sets is a
 * run that silently uses a default, or a host that does not start (`%NAME%` unresolved).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import {
    bicepParams,
    filesUnder,
    infraAppSettings,
    percentSettings,
    read,
    readJson,
    ROOT,
    settingsReadByCode,
} from './sources';

// Set by the platform on every Function App, never by a template: the managed identity's endpoint.
const PLATFORM = new Set(['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MSI_ENDPOINT', 'MSI_SECRET']);

// Flex Consumption rejects these app settings: the runtime and its version live in functionAppConfig.
// learn.microsoft.com/azure/azure-functions/functions-app-settings (Flex Consumption deprecations)
const REFUSED_ON_FLEX = [
    'FUNCTIONS_WORKER_RUNTIME',
    'FUNCTIONS_EXTENSION_VERSION',
    'WEBSITE_NODE_DEFAULT_VERSION',
    'WEBSITE_RUN_FROM_PACKAGE',
    'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
    'WEBSITE_CONTENTSHARE',
    'AzureWebJobsStorage',
];

function documented(): Set<string> {
    const example = readJson<{ Values: Record<string, string> }>('local.settings.example.json');
    const pages = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).map((name) => `docs/${name}`)];
    const names = pages.flatMap((page) => [...read(page).matchAll(/`([A-Za-z_]\w*)`/g)].map((m) => m[1]!));
    return new Set([...Object.keys(example.Values), ...names]);
}

describe('app settings', () => {
    const infra = infraAppSettings();

    it('finds the settings the code reads (the extraction still matches how src/config.ts reads them)', () => {
        const names = [...settingsReadByCode().keys()];
        expect(names).toEqual(
            expect.arrayContaining([
                'EXCHANGE_TENANT_ID',
                'AZURE_CLIENT_ID',
                'GRAPH_ENDPOINT',
                'BACKUP_TABLE_PREFIX',
                'BACKUP_STORAGE__blobServiceUri',
                'TASKHUB_NAME',
            ]),
        );
    });

    it('gives every setting the code reads a value in Azure, or documents what happens without it', () => {
        const docs = documented();
        const orphans = [...settingsReadByCode()]
            .filter(([name]) => !infra.has(name) && !docs.has(name) && !PLATFORM.has(name))
            .map(([name, file]) => `${name} (read in ${file})`);
        expect(orphans).toEqual([]);
    });

    it('sets every %SETTING% the host resolves at startup (timer schedules, the task hub)', () => {
        const missing = [...percentSettings()].filter(([name]) => !infra.has(name)).map(([n, f]) => `${n} (${f})`);
        expect(missing).toEqual([]);
    });

    it('takes the task hub name and every timer schedule from settings, never a literal', () => {
        const host = readJson<{ extensions: { durableTask: { hubName: string } } }>('host.json');
        expect(host.extensions.durableTask.hubName).toBe('%TASKHUB_NAME%');
        const schedules = filesUnder('src/functions', ['.ts']).flatMap((file) =>
            [...read(file).matchAll(/schedule:\s*(['"`])([^'"`]*)\1/g)].map((m) => ({ file, schedule: m[2]! })),
        );
        expect(schedules.length).toBeGreaterThan(0);
        for (const { file, schedule } of schedules) {
            expect(schedule, `${file}: a schedule must be an app setting`).toMatch(/^%[A-Za-z_]\w*%$/);
        }
    });

    it('defaults the schedules to six-field NCRONTAB and the task hub to letters and digits', () => {
        const params = new Map(bicepParams('infra/main.bicep').map((p) => [p.name, p.defaultText ?? '']));
        for (const name of ['incrementalSchedule', 'fullSchedule', 'verifySchedule', 'cleanupSchedule']) {
            const cron = /^'(.*)'$/.exec(params.get(name) ?? '')?.[1] ?? '';
            expect(cron.split(' '), name).toHaveLength(6);
        }
        // Azure Storage task hubs: 3-45 characters, letters and digits, starting with a letter.
        expect(params.get('taskHubName')).toMatch(/^'[A-Za-z][A-Za-z0-9]{2,44}'$/);
    });

    it('keeps each activity slice shorter than the host lets a function run', () => {
        const timeout = readJson<{ functionTimeout: string }>('host.json').functionTimeout;
        const [h, m] = timeout.split(':').map(Number);
        const maxSlice = /@maxValue\((\d+)\)\s*\nparam sliceMinutes/.exec(read('infra/main.bicep'))?.[1];
        expect(Number(maxSlice)).toBeLessThan(h! * 60 + m!);
    });

    it('sets no setting Flex Consumption refuses', () => {
        expect(REFUSED_ON_FLEX.filter((name) => infra.has(name))).toEqual([]);
    });

    it('connects the host and the backup to storage by identity, with the identity named', () => {
        for (const name of [
            'AzureWebJobsStorage__credential',
            'AzureWebJobsStorage__clientId',
            'AzureWebJobsStorage__blobServiceUri',
            'AzureWebJobsStorage__queueServiceUri',
            'AzureWebJobsStorage__tableServiceUri',
            'BACKUP_STORAGE__blobServiceUri',
            'BACKUP_STORAGE__tableServiceUri',
            'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
        ]) {
            expect(infra, name).toContain(name);
        }
        expect(infra).not.toContain('BACKUP_STORAGE_CONNECTION_STRING');
        expect(read('infra/app/api.bicep')).toMatch(/AzureWebJobsStorage__credential: 'managedidentity'/);
    });
});
