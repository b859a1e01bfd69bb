/** Names the functions are registered under; the orchestrations call activities by these. */
export const ORCHESTRATIONS = {
    backupRun: 'backupRunOrchestrator',
    backupWorker: 'backupWorkerOrchestrator',
    restore: 'restoreOrchestrator',
    verify: 'verifyOrchestrator',
} as const;

export const ACTIVITIES = {
    beginRun: 'beginBackupRun',
    claimMailbox: 'claimQueuedMailbox',
    backUpSlice: 'backUpMailboxSlice',
    recordFailure: 'recordMailboxFailure',
    completeRun: 'completeBackupRun',
    restoreSlice: 'restoreMailboxSlice',
    verify: 'verifyBackup',
} as const;

/**
 * Backup runs share one instance id: the Durable extension refuses to start an instance whose id is
 * running (host.json `overridableExistingInstanceStates: NonRunningStates`), which makes "one backup run at
 * a time" atomic where a status check followed by a start would race. Each run has its own run id in the
 * run history; this id only names "the backup run in progress".
 */
export const BACKUP_INSTANCE_ID = 'mailbox-backup';

/** One restore at a time: two into the same mailbox would share its four Graph slots and its upload budget. */
export const RESTORE_INSTANCE_ID = 'mailbox-restore';

export const VERIFY_INSTANCE_ID = 'mailbox-verify';
