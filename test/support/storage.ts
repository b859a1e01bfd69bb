import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/** The shared Azurite started by globalSetup.ts. */
export function testConnectionString(): string {
    const connectionString = inject('azuriteConnectionString') ?? process.env.AZURITE_CONNECTION_STRING;
    if (!connectionString) {
        throw new Error('No Azurite to test against: run the tests with vitest, whose globalSetup starts one');
    }
    return connectionString;
}

/**
 * A fresh prefix for table and container names, so test files sharing one Azurite never meet:
 * a letter, then 12 lowercase hex digits, valid at the start of both a table and a container name.
 */
export function uniquePrefix(): string {
    return `t${randomBytes(6).toString('hex')}`;
}
