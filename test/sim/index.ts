/**
 * The Microsoft Graph tenant simulator: an in-process HTTPS server playing one tenant's Entra ID token endpoints and
 * the Graph v1.0 calls a mail backup makes, faithful to docs/graph-behaviour.md (ids, paging, delta, throttling,
 * errors). Tests build a Tenant, start the simulator, point the real SDKs at `sim.url`, then mutate the tenant and
 * check.
 */
export { createTestCertificates, type TestCertificates } from './certs';
export { REQUEST_KINDS, type Counters, type RequestKind } from './counters';
export { generateTenant, type DemoTenantOptions } from './demoTenant';
export { Faults, type FaultSpec } from './faults';
export type { SimFolder } from './folder';
export type { MailAddress } from './mime';
export { SimAttachment, SimMessage, type AttachmentInput, type FlagStatus, type MessageInput } from './message';
export {
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TENANT_ID,
    startSimulator,
    type Simulator,
    type SimulatorOptions,
} from './server';
export { Tenant, type TenantOptions } from './tenant';
export { SimUser, type UserInput, type UserKind } from './user';
