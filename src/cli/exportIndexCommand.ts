import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

import { exportIndex } from '../maintenance/exportIndex';
import { ConfigError } from '../common/errors';
import type { CliEnvironment } from './environment';

/** Writes the index as JSON to `out` (replaced only once the export is complete). */
export async function exportIndexCommand(environment: CliEnvironment, options: { out: string }): Promise<number> {
    const out = path.resolve(options.out);
    await assertWritableDirectory(path.dirname(out));
    const summary = await exportIndex(environment.storage, out, { now: new Date() });
    process.stdout.write(`Exported ${summary.messages} messages of ${summary.mailboxes} mailboxes to ${out}\n`);
    return 0;
}

/** Fails before reading the index rather than after, with the folder named. */
async function assertWritableDirectory(directory: string): Promise<void> {
    try {
        await access(directory, constants.W_OK);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'not writable';
        throw new ConfigError(`--out: cannot write to the folder ${directory} (${code})`, { cause: error });
    }
}
