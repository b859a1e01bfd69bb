/**
 * The Microsoft Graph tenant simulator: an in-process HTTPS server playing one tenant's Entra ID token endpoints and
 * the Graph v1.0 calls a mail backup makes, faithful to docs/graph-behaviour.md (ids, paging, delta, throttling,
 * errors). Tests build a Tenant, start the simulator, point the real SDKs at `sim.url`, then mutate the tenant and
 * check.
 */
export { createTestCertificates, type TestCertificates } from './http/certs';
export { REQUEST_KINDS, type Counters, type RequestKind } from './model/counters';
export { generateTenant, type DemoTenantOptions } from './model/demoTenant';
export { Faults, type FaultSpec } from './http/faults';
export type { SimFolder } from './model/folder';
export type { MailAddress } from './model/mime';
export { SimAttachment, SimMessage, type AttachmentInput, type FlagStatus, type MessageInput } from './model/message';
export {
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TENANT_ID,
    startSimulator,
    type Simulator,
    type SimulatorOptions,
} from './http/server';
export { Tenant, type TenantOptions } from './model/tenant';
export { SimUser, type UserInput, type UserKind } from './model/user';
