/**
 * Runs once in vitest's main process, before any worker is forked: one in-memory Azurite and one set
 * of TLS certificates for the Graph simulator, shared by every test file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

import { startAzurite } from '../../src/store/azurite';
import { createTestCertificates } from '../sim/http/certs';

declare module 'vitest' {
    export interface ProvidedContext {
        azuriteConnectionString: string;
        certDir: string;
    }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
    const azuriteDir = await mkdtemp(path.join(os.tmpdir(), 'mail-backup-azurite-'));
    const certDir = await mkdtemp(path.join(os.tmpdir(), 'mail-backup-certs-'));
    const [azurite, { caCertPath }] = await Promise.all([
        startAzurite({ location: azuriteDir, inMemory: true }),
        createTestCertificates(certDir),
    ]);

    // Workers and the processes tests spawn inherit process.env when they start, and Node reads
    // NODE_EXTRA_CA_CERTS only at startup: so these are set here, before vitest forks its workers.
    process.env.AZURITE_CONNECTION_STRING = azurite.connectionString;
    process.env.SIM_CERT_DIR = certDir;
    process.env.NODE_EXTRA_CA_CERTS = caCertPath;
    project.provide('azuriteConnectionString', azurite.connectionString);
    project.provide('certDir', certDir);

    return async () => {
        await azurite.stop();
        await Promise.all([azuriteDir, certDir].map((dir) => rm(dir, { recursive: true, force: true })));
    };
}
