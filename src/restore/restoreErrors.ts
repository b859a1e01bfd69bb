import { BackupError } from '../common/errors';

/** A message that cannot be restored from what the backup holds; the restore goes on with the others. */
export class UnrestorableMessageError extends BackupError {}
