import { HttpRequest, type HttpResponseInit, type Timer } from '@azure/functions';

import { type Harness, createHarness } from '../harness';
import { testConnectionString } from '../storage';
import type { SimulatorOptions } from '../../sim';
import { type FakeDurableExtension, startFakeExtension } from './extension';
import { handlersOf, invocationContext, loadFunctionsApp, type Registration } from './functionsApp';
import { ADMINISTRATOR, principalHeader } from './principal';
import { DurableReplayer } from './replay';

/**
 * The Functions app as the host would run it, minus the host: the registered handlers, app settings in
 * process.env pointing at the simulator and this harness's Azurite tables, a fake Durable extension whose
 * orchestrations run through the library's replay with the real activities.
 */
export interface FunctionsHarness extends Harness {
    registrations: Map<string, Registration>;
    extension: FakeDurableExtension;
    /** One per orchestration started, in order. */
    replayers: DurableReplayer[];
    http(
        name: string,
        init: {
            method?: string;
            path?: string;
            body?: string;
            params?: Record<string, string>;
            query?: Record<string, string>;
            /** Instead of the signed-in administrator's principal header (ADMINISTRATOR). */
            headers?: Record<string, string>;
        },
    ): Promise<HttpResponseInit & { lines: string[] }>;
    timer(name: string): Promise<string[]>;
    /** Holds orchestrations before their next step until the returned release is called. */
    hold(): () => void;
}

let registrations: Promise<Map<string, Registration>> | undefined;

export async function createFunctionsHarness(
    options: SimulatorOptions & { settings?: Record<string, string> } = {},
): Promise<FunctionsHarness> {
    const { settings, ...simOptions } = options;
    const h = await createHarness(simOptions);
    registrations ??= loadFunctionsApp();
    const registered = await registrations;
    Object.assign(process.env, h.env, {
        BACKUP_STORAGE_CONNECTION_STRING: testConnectionString(),
        BACKUP_TABLE_PREFIX: h.prefix,
        BACKUP_CONTAINER: h.prefix,
        BACKUP_PARALLEL_MAILBOXES: '8',
        BACKUP_SLICE_MINUTES: '20',
        ...settings,
    });
    const replayers: DurableReplayer[] = [];
    let gate: Promise<void> = Promise.resolve();
    const extension = await startFakeExtension(() => {
        const replayer = new DurableReplayer(
            handlersOf(registered, 'orchestrationTrigger'),
            handlersOf(registered, 'activityTrigger'),
            { onStatus: (id, status) => extension.setStatus(id, status), beforeEpisode: () => gate },
        );
        replayers.push(replayer);
        return replayer;
    });
    const registration = (name: string) => {
        const found = registered.get(name);
        if (!found) throw new Error(`no function named ${name}`);
        return found;
    };
    return {
        ...h,
        registrations: registered,
        extension,
        replayers,
        http: async (name, init) => {
            const reg = registration(name);
            const url = new URL(`https://mailbackup.azurewebsites.net/api/${init.path ?? ''}`);
            for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
            const request = new HttpRequest({
                method: init.method ?? 'GET',
                url: url.href,
                params: init.params ?? {},
                body: init.body === undefined ? undefined : { string: init.body },
                headers: {
                    ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
                    ...(init.headers ?? principalHeader(ADMINISTRATOR)),
                },
            });
            const context = invocationContext(reg, extension.clientData);
            const response = (await reg.options.handler(request, context)) as HttpResponseInit;
            return { ...response, lines: context.lines };
        },
        timer: async (name) => {
            const reg = registration(name);
            const context = invocationContext(reg, extension.clientData);
            const timer: Timer = {
                isPastDue: false,
                schedule: { adjustForDST: false },
                scheduleStatus: { last: '', next: '', lastUpdated: '' },
            };
            await reg.options.handler(timer, context);
            return context.lines;
        },
        hold: () => {
            let release!: () => void;
            gate = new Promise<void>((resolve) => (release = resolve));
            return () => {
                release();
                gate = Promise.resolve();
            };
        },
        close: async () => {
            await extension.close();
            await h.close();
        },
    };
}
