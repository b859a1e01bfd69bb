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

/** Entra ID refused the app's credentials, or the token endpoint could not be reached. */
export class AuthenticationError extends BackupError {}

/** Microsoft Graph could not be reached or kept failing after retries. */
export class GraphUnavailableError extends BackupError {}

/** Azure Storage could not be reached or refused a write. */
export class StorageError extends BackupError {}
