/**
 * Plays the Durable extension's part for an orchestration registered with durable-functions, using the
 * library's own replay (the handler the host would call): it hands the handler its history, reads the
 * actions it asks for, runs activities (the registered handlers, against Azurite and the simulator) and
 * sub-orchestrations, appends their results as history events and replays — until the orchestration
 * completes, continuing as new where it asks to. Timers (retry back-off) fire at once.
 *
 * Wire facts (docs/durable-functions.md, "Replaying an orchestration"): EventType and actionType numbers
 * below; completion events name the task by TaskScheduledId = the order in which the orchestrator
 * scheduled it (a retried activity takes one number per timer and per further attempt). The extension's
 * non-determinism check is reproduced: a replay must ask for the same actions as before.
 */
import { InvocationContext } from '@azure/functions';

const EventType = {
    ExecutionStarted: 0,
    TaskCompleted: 5,
    TaskFailed: 6,
    SubOrchestrationInstanceCompleted: 8,
    SubOrchestrationInstanceFailed: 9,
    TimerFired: 11,
    OrchestratorStarted: 12,
} as const;

const ActionType = {
    CallActivity: 0,
    CallActivityWithRetry: 1,
    CallSubOrchestrator: 2,
    ContinueAsNew: 4,
    WhenAny: 11,
    WhenAll: 12,
} as const;

/** V3, what current extensions send. */
const UPPER_SCHEMA_VERSION = 2;

type Handler = (input: unknown, context: InvocationContext) => Promise<unknown>;
type HistoryEvent = Record<string, unknown> & { EventType: number };

interface Action {
    actionType: number;
    functionName?: string;
    input?: unknown;
    instanceId?: string;
    retryOptions?: { maxNumberOfAttempts: number };
    compoundActions?: Action[];
}

interface OrchestratorState {
    isDone: boolean;
    actions: Action[][];
    output?: unknown;
    customStatus?: unknown;
}

/** One execution of an instance (between continue-as-new), with the history it ended with. */
export interface Execution {
    instanceId: string;
    name: string;
    input: unknown;
    history: HistoryEvent[];
    actions: Action[];
}

export interface InstanceObserver {
    onStatus?(instanceId: string, customStatus: unknown): void;
    /** Awaited before each episode's work is run: a test can hold an orchestration "running". */
    beforeEpisode?(instanceId: string): Promise<void>;
}

export class DurableReplayer {
    readonly executions: Execution[] = [];
    readonly activityCalls: { name: string; input: unknown; failed: boolean }[] = [];
    /** What activities logged, as `<level> <message>` (Application Insights traces on Azure). */
    readonly logs: string[] = [];

    constructor(
        private readonly orchestrations: Map<string, Handler>,
        private readonly activities: Map<string, Handler>,
        private readonly observer: InstanceObserver = {},
    ) {}

    /** Runs an orchestration to its end; resolves to its output, rejects with its failure. */
    async run(name: string, input: unknown, instanceId: string, parentInstanceId?: string): Promise<unknown> {
        let currentInput = input;
        for (;;) {
            const result = await this.runExecution(name, currentInput, instanceId, parentInstanceId);
            if (!result.continueAsNew) return result.output;
            currentInput = result.nextInput;
        }
    }

    /** Replays a recorded execution's final history and returns the actions the orchestrator asks for. */
    async replay(execution: Execution): Promise<Action[]> {
        const state = await this.invoke(execution.name, execution.input, execution.instanceId, execution.history);
        return flatten(state.actions);
    }

    private async runExecution(
        name: string,
        input: unknown,
        instanceId: string,
        parentInstanceId?: string,
    ): Promise<{ continueAsNew: false; output: unknown } | { continueAsNew: true; nextInput: unknown }> {
        const history: HistoryEvent[] = [
            { EventType: EventType.OrchestratorStarted, Timestamp: new Date(), IsPlayed: false },
            { EventType: EventType.ExecutionStarted, Input: JSON.stringify(input), Name: name, IsPlayed: false },
        ];
        const scheduled: Action[] = [];
        const pending = new Map<number, { action: Action; attempt: number }>();
        let nextSequence = 0;
        for (;;) {
            const state = await this.invoke(name, input, instanceId, history, parentInstanceId);
            this.observer.onStatus?.(instanceId, state.customStatus);
            const actions = flatten(state.actions);
            assertSameActions(scheduled, actions.slice(0, scheduled.length), instanceId);
            for (const action of actions.slice(scheduled.length)) {
                scheduled.push(action);
                if (action.actionType !== ActionType.ContinueAsNew) {
                    pending.set(nextSequence++, { action, attempt: 1 });
                }
            }
            if (state.isDone) {
                this.executions.push({ instanceId, name, input, history: [...history], actions: scheduled });
                const last = scheduled[scheduled.length - 1];
                if (last?.actionType === ActionType.ContinueAsNew)
                    return { continueAsNew: true, nextInput: last.input };
                return { continueAsNew: false, output: state.output };
            }
            if (pending.size === 0) throw new Error(`${instanceId} waits for nothing this replayer can provide`);
            await this.observer.beforeEpisode?.(instanceId);
            const work = [...pending.entries()].sort(([a], [b]) => a - b);
            pending.clear();
            const outcomes = await Promise.all(
                work.map(async ([sequence, task]) => ({
                    sequence,
                    task,
                    ...(await this.perform(task.action, instanceId, sequence)),
                })),
            );
            history.forEach((e) => (e.IsPlayed = true));
            history.push({ EventType: EventType.OrchestratorStarted, Timestamp: new Date(), IsPlayed: false });
            for (const { sequence, task, ok, value } of outcomes) {
                const isSub = task.action.actionType === ActionType.CallSubOrchestrator;
                if (ok) {
                    history.push({
                        EventType: isSub ? EventType.SubOrchestrationInstanceCompleted : EventType.TaskCompleted,
                        TaskScheduledId: sequence,
                        Result: JSON.stringify(value ?? null),
                        IsPlayed: false,
                    });
                    continue;
                }
                const reason = value instanceof Error ? value.message : String(value);
                history.push({
                    EventType: isSub ? EventType.SubOrchestrationInstanceFailed : EventType.TaskFailed,
                    TaskScheduledId: sequence,
                    Reason: reason,
                    Details: reason,
                    IsPlayed: false,
                });
                if (task.action.actionType === ActionType.CallActivityWithRetry) {
                    // The extension waits out the back-off after every failed attempt, the last one included.
                    history.push({
                        EventType: EventType.TimerFired,
                        TimerId: nextSequence++,
                        FireAt: new Date(),
                        IsPlayed: false,
                    });
                    if (task.attempt < (task.action.retryOptions?.maxNumberOfAttempts ?? 1)) {
                        pending.set(nextSequence++, { action: task.action, attempt: task.attempt + 1 });
                    }
                }
            }
        }
    }

    private async perform(action: Action, parent: string, sequence: number): Promise<{ ok: boolean; value: unknown }> {
        const name = action.functionName ?? '';
        try {
            if (action.actionType === ActionType.CallSubOrchestrator) {
                return {
                    ok: true,
                    value: await this.run(name, action.input, action.instanceId ?? `${parent}:${sequence}`, parent),
                };
            }
            const handler = this.activities.get(name);
            if (!handler) throw new Error(`no activity named ${name} is registered`);
            const context = new InvocationContext({
                functionName: name,
                invocationId: `${parent}:${sequence}`,
                logHandler: (level, ...args) => this.logs.push(`${level} ${args.map(String).join(' ')}`),
            });
            // Strings travel JSON-encoded in an action (durable-functions' processInput); the extension decodes them.
            const input = typeof action.input === 'string' ? (JSON.parse(action.input) as unknown) : action.input;
            const value = await handler(input, context);
            this.activityCalls.push({ name, input: action.input, failed: false });
            return { ok: true, value };
        } catch (error) {
            this.activityCalls.push({ name, input: action.input, failed: true });
            return { ok: false, value: error };
        }
    }

    private async invoke(
        name: string,
        input: unknown,
        instanceId: string,
        history: HistoryEvent[],
        parentInstanceId?: string,
    ): Promise<OrchestratorState> {
        const handler = this.orchestrations.get(name);
        if (!handler) throw new Error(`no orchestration named ${name} is registered`);
        const trigger = {
            history,
            // As the extension does: the input arrives deserialised afresh on every replay.
            input: input === undefined ? undefined : (JSON.parse(JSON.stringify(input)) as unknown),
            instanceId,
            parentInstanceId,
            isReplaying: false,
            upperSchemaVersion: UPPER_SCHEMA_VERSION,
            maximumShortTimerDuration: '6.00:00:00',
            longRunningTimerIntervalDuration: '3.00:00:00',
        };
        const context = new InvocationContext({
            functionName: name,
            invocationId: instanceId,
            logHandler: (level, ...args) => this.logs.push(`${level} ${args.map(String).join(' ')}`),
        });
        return (await handler(trigger, context)) as OrchestratorState;
    }
}

/** The actions in the order the orchestrator scheduled them (compound tasks list their children). */
export function flatten(actions: Action[][] | Action[]): Action[] {
    const out: Action[] = [];
    const visit = (list: (Action | Action[])[]) => {
        for (const item of list) {
            if (Array.isArray(item)) visit(item);
            else if (item.actionType === ActionType.WhenAll || item.actionType === ActionType.WhenAny)
                visit(item.compoundActions ?? []);
            else out.push(item);
        }
    };
    visit(actions);
    return out;
}

function assertSameActions(before: Action[], now: Action[], instanceId: string): void {
    const describe = (a: Action) => JSON.stringify([a.actionType, a.functionName, a.input, a.instanceId]);
    before.forEach((action, i) => {
        const replayed = now[i];
        if (!replayed || describe(action) !== describe(replayed)) {
            throw new Error(
                `non-deterministic orchestration ${instanceId}: action ${i} was ${describe(action)}, ` +
                    `on replay ${replayed ? describe(replayed) : 'missing'}`,
            );
        }
    });
}
