import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';

/**
 * Starts an orchestration under a fixed instance id unless that instance is still going. The status check
 * gives the friendly answer; the extension's refusal to overwrite a running instance (host.json
 * `overridableExistingInstanceStates`) closes the race between the check and the start.
 */
export async function startSingleton(
    client: DurableClient,
    orchestration: string,
    instanceId: string,
    input: unknown,
): Promise<{ started: true } | { started: false; running: DurableOrchestrationStatus | undefined }> {
    const current = await statusOf(client, instanceId);
    if (current && isActive(current)) return { started: false, running: current };
    try {
        await client.startNew(orchestration, { instanceId, input });
        return { started: true };
    } catch (error) {
        // Lost the race to another starter: it is running now.
        const now = await statusOf(client, instanceId);
        if (now && isActive(now)) return { started: false, running: now };
        throw error;
    }
}

const ACTIVE = new Set<OrchestrationRuntimeStatus>([
    OrchestrationRuntimeStatus.Running,
    OrchestrationRuntimeStatus.Pending,
    OrchestrationRuntimeStatus.ContinuedAsNew,
    OrchestrationRuntimeStatus.Suspended,
]);

function isActive(status: DurableOrchestrationStatus): boolean {
    return ACTIVE.has(status.runtimeStatus);
}

/** getStatus throws for an instance that never existed (the extension answers 404); that is "not running". */
async function statusOf(client: DurableClient, instanceId: string): Promise<DurableOrchestrationStatus | undefined> {
    try {
        return await client.getStatus(instanceId);
    } catch (error) {
        if (/HTTP 404/.test(error instanceof Error ? error.message : String(error))) return undefined;
        throw error;
    }
}

/**
 * The input of the instance while it is going, else undefined: a run or restore that was accepted but whose
 * first activity has not written its row yet is still "pending", not "no such run".
 */
export async function activeInput<T>(client: DurableClient, instanceId: string): Promise<T | undefined> {
    const status = await statusOf(client, instanceId);
    return status && isActive(status) ? (status.input as T) : undefined;
}
