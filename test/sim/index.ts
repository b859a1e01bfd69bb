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
