/**
 * Loads src/functions/*.ts the way the host does (every file the package's `main` glob names) and keeps what
 * each registration call received, so tests can call the very handlers the host would: outside the host,
 * @azure/functions only logs "Skipping call to register function"
 * (docs/durable-functions.md, "Registering functions outside the host").
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

import { app, type FunctionInput, InvocationContext } from '@azure/functions';

type Handler = (...args: unknown[]) => Promise<unknown>;

export interface Registration {
    name: string;
    /** orchestrationTrigger, activityTrigger, httpTrigger, timerTrigger. */
    trigger: string;
    options: Record<string, unknown> & { handler: Handler; extraInputs?: FunctionInput[] };
}

const FUNCTIONS_DIR = path.resolve(__dirname, '../../../src/functions');

export async function loadFunctionsApp(): Promise<Map<string, Registration>> {
    const registrations = new Map<string, Registration>();
    const record = (trigger: string) => (name: string, options: unknown) => {
        registrations.set(name, { name, trigger, options: options as Registration['options'] });
    };
    // Plain assignments rather than vitest's spies, so the bench (run by tsx, outside vitest) loads the app too.
    const registering = app as unknown as Record<
        'generic' | 'http' | 'timer',
        (name: string, options: unknown) => void
    >;
    registering.generic = (name, options) =>
        record((options as { trigger: { type: string } }).trigger.type)(name, options);
    registering.http = record('httpTrigger');
    registering.timer = record('timerTrigger');
    for (const file of readdirSync(FUNCTIONS_DIR).filter((f) => f.endsWith('.ts'))) {
        await import(path.join(FUNCTIONS_DIR, file));
    }
    return registrations;
}

export function handlersOf(registrations: Map<string, Registration>, trigger: string): Map<string, Handler> {
    return new Map(
        [...registrations.values()].filter((r) => r.trigger === trigger).map((r) => [r.name, r.options.handler]),
    );
}

/** An invocation context like the host's, with the durable client input bound to `clientData` when given. */
export function invocationContext(
    registration: Registration,
    clientData?: unknown,
): InvocationContext & { lines: string[] } {
    const lines: string[] = [];
    const context = new InvocationContext({
        functionName: registration.name,
        invocationId: `${registration.name}-${Date.now()}`,
        options: {
            trigger: { type: registration.trigger, name: 'trigger' },
            extraInputs: registration.options.extraInputs ?? [],
        },
        logHandler: (level, ...args) => lines.push(`${level} ${args.map(String).join(' ')}`),
    });
    for (const input of registration.options.extraInputs ?? []) {
        if (input.type === 'durableClient' && clientData) context.extraInputs.set(input, clientData);
    }
    return Object.assign(context, { lines });
}
