import { readFileSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { loadFunctionsApp, type Registration } from '../support/durable/functionsApp';

const root = path.resolve(__dirname, '../..');
const readJson = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Record<string, unknown>;

describe('the Functions app as the host indexes it', () => {
    let registered: Map<string, Registration>;
    beforeAll(async () => {
        registered = await loadFunctionsApp();
    });
    const get = (name: string) => {
        const found = registered.get(name);
        expect(found, name).toBeDefined();
        return found!;
    };

    it('runs the backups, the verification and the cleanup on schedules taken from app settings, never on startup', () => {
        for (const [name, setting] of [
            ['incrementalBackupTimer', 'BACKUP_INCREMENTAL_SCHEDULE'],
            ['fullBackupTimer', 'BACKUP_FULL_SCHEDULE'],
            ['verifyTimer', 'VERIFY_SCHEDULE'],
            ['cleanupTimer', 'CLEANUP_SCHEDULE'],
        ] as const) {
            const timer = get(name);
            expect(timer.trigger).toBe('timerTrigger');
            expect(timer.options.schedule).toBe(`%${setting}%`);
            expect(timer.options.runOnStartup ?? false).toBe(false);
        }
        for (const name of ['incrementalBackupTimer', 'fullBackupTimer', 'verifyTimer']) {
            expect(get(name).options.extraInputs?.some((i) => i.type === 'durableClient')).toBe(true);
        }
    });

    // The key stays required behind Entra ID: the code cannot tell whether Easy Auth is on (docs/security.md).
    it('protects every HTTP endpoint with a function key and routes them as documented', () => {
        const routes = [...registered.values()]
            .filter((r) => r.trigger === 'httpTrigger')
            .map((r) => [r.name, r.options.route, r.options.methods, r.options.authLevel]);
        expect(routes).toEqual(
            expect.arrayContaining([
                ['startBackup', 'backups', ['POST'], 'function'],
                ['listBackups', 'backups', ['GET'], 'function'],
                ['getBackup', 'backups/{runId}', ['GET'], 'function'],
                ['getStats', 'stats', ['GET'], 'function'],
                ['startRestore', 'restores', ['POST'], 'function'],
                ['getRestore', 'restores/{restoreId}', ['GET'], 'function'],
            ]),
        );
        for (const [name, , , authLevel] of routes) expect(authLevel, String(name)).toBe('function');
        expect(get('startBackup').options.extraInputs?.some((i) => i.type === 'durableClient')).toBe(true);
    });

    it('registers every orchestration and activity the orchestrations call', async () => {
        const { ACTIVITIES, ORCHESTRATIONS } = await import('../../src/functions/shared/names');
        for (const name of Object.values(ORCHESTRATIONS)) expect(get(name).trigger).toBe('orchestrationTrigger');
        for (const name of Object.values(ACTIVITIES)) expect(get(name).trigger).toBe('activityTrigger');
    });

    it('ships host.json and local.settings.example.json that match what the code reads', () => {
        const host = readJson('host.json') as {
            functionTimeout: string;
            extensions: { durableTask: { hubName: string; overridableExistingInstanceStates: string } };
        };
        expect(host.extensions.durableTask.hubName).toBe('%TASKHUB_NAME%');
        expect(host.extensions.durableTask.overridableExistingInstanceStates).toBe('NonRunningStates');
        const local = (readJson('local.settings.example.json') as { Values: Record<string, string> }).Values;
        const referenced = [...registered.values()]
            .map((r) =>
                typeof r.options.schedule === 'string' ? /^%(\w+)%$/.exec(r.options.schedule)?.[1] : undefined,
            )
            .filter((s): s is string => !!s);
        for (const setting of [...referenced, 'TASKHUB_NAME']) expect(local[setting], setting).toBeTruthy();
        expect(local.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
        // A slice must end well before the host would kill the activity running it.
        const [h, m] = host.functionTimeout.split(':').map(Number);
        expect(Number(local.BACKUP_SLICE_MINUTES)).toBeLessThan(h! * 60 + m! - 5);
    });

    it('points package.json main at where tsc writes the function files', () => {
        // The host loads only what `main` names: a tsconfig change that moves the output would leave it empty.
        const main = (readJson('package.json') as { main: string }).main;
        const { compilerOptions } = readJson('tsconfig.json') as {
            compilerOptions: { outDir: string; rootDir: string };
        };
        const compiledDir = path.join(compilerOptions.outDir, path.relative(compilerOptions.rootDir, 'src/functions'));
        expect(main).toBe(`${compiledDir.split(path.sep).join('/')}/*.js`);
    });
});
