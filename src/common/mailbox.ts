/** A mailbox being backed up, as discovery found it. */
export interface Mailbox {
    id: string; // Entra object id: the partition key of everything stored for it
    userPrincipalName: string;
    displayName: string;
    shared: boolean;
}

/** A message a run could not back up or restore, reported to the person running it. */
export interface FailedItem {
    id: string;
    subject: string;
    folder: string;
    error: string;
}
