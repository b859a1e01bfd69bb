/** Where the engine reports what it did: the CLI's terminal, the Functions host's log. */
export interface Logger {
    info(message: string): void;
    warn(message: string): void;
}
