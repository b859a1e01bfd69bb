import type { RestoreRequest } from '../../restore/restoreMailbox';

/** A restore request as it travels to the orchestration and its activities: the point in time as an ISO string. */
export type RestoreInput = Omit<RestoreRequest, 'asOf'> & { asOf?: string };
