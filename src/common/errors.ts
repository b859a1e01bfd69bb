/**
 * Our own error types. Each carries a message meant for the person running the backup (one line,
 * actionable, never a secret) and, where there is one, the underlying cause for the logs.
 * The CLI and HTTP edges print `userMessage`; nothing else should reach a user.
 */
export class BackupError extends Error {
    constructor(
        readonly userMessage: string,
        options?: { cause?: unknown },
    ) {
        super(userMessage, options);
        this.name = new.target.name;
    }
}

/** A setting is missing or malformed; fixing the configuration fixes it. */
export class ConfigError extends BackupError {}

/** What a caller gave the engine: each edge names it its own way (a CLI flag, a field of a request body). */
export type EngineInput = 'source' | 'target' | 'asOf' | 'folder' | 'messageId' | 'restoreId' | 'outputFolder';

const INPUT_NAMES: Record<EngineInput, string> = {
    source: 'the backed-up mailbox',
    target: 'the mailbox to restore into',
    asOf: 'the point in time',
    folder: 'the folder',
    messageId: 'the message',
    restoreId: 'the restore',
    outputFolder: 'the output folder',
};

/**
 * One input the engine was given does not work, in the engine's words; `detail` says why. The CLI puts its flag in
 * front of `detail` (`--to: …`), the HTTP edge its field name, and anything else shows `userMessage`.
 */
export class InputError extends ConfigError {
    constructor(
        readonly input: EngineInput,
        readonly detail: string,
        options?: { cause?: unknown },
    ) {
        super(`${INPUT_NAMES[input]}: ${detail}`, options);
    }
}

/** Entra ID refused the app's credentials, or the token endpoint could not be reached. */
export class AuthenticationError extends BackupError {}

/** Microsoft Graph could not be reached or kept failing after retries. */
export class GraphUnavailableError extends BackupError {}

/** Azure Storage could not be reached or refused a write. */
export class StorageError extends BackupError {}
