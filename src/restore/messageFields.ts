/**
 * The JSON Graph is given to recreate a message, from what its MIME says (src/mime/readMessage.ts) and the state the
 * index keeps. Creating from JSON rather than importing the MIME: Graph makes every message created from MIME a
 * draft, with no documented way to clear the flag, and caps the import at 4 MB (docs/restore.md). So the message is
 * created with the extended properties Corso's restore sets:
 *   PidTagMessageFlags (Integer 0x0E07) = 4        not a draft (MSGFLAG_UNSENT clear); 8 keeps a draft one;
 *   PidTagClientSubmitTime (SystemTime 0x0039)     the original sent time (the Date header);
 *   PidTagMessageDeliveryTime (SystemTime 0x0E06)  the original received time (Graph's receivedDateTime);
 * the threading headers, which Graph's message has no property for:
 *   PidTagInReplyToId (String 0x1042)              In-Reply-To;
 *   PidTagInternetReferences (String 0x1039)       References;
 * its internetMessageId (settable at creation: Graph documents it "updatable only if isDraft"), and our own named
 * property carrying `<restore id>/<source message id>`, by which a restored message is told from the original and
 * found again when Graph's answer to its creation was lost.
 */
import type { NewMessage } from '../graph/mailWriter';
import type { ReadMessage } from '../mime/readMessage';
import { UnrestorableMessageError } from './restoreErrors';

export const RESTORED_FROM_PROPERTY = 'String {6f3c52a4-0d8e-4b7a-9c1e-2a5b8d7e4f10} Name MailBackupRestoredFrom';

const MESSAGE_FLAGS = 'Integer 0x0E07';
const SUBMIT_TIME = 'SystemTime 0x0039';
const DELIVERY_TIME = 'SystemTime 0x0E06';
const IN_REPLY_TO = 'String 0x1042';
const REFERENCES = 'String 0x1039';
/** MSGFLAG_SUBMIT without MSGFLAG_UNSENT: what Corso sends for a non-draft; MSGFLAG_UNSENT (8) keeps a draft one. */
const FLAGS_SENT = '4';
const FLAGS_DRAFT = '8';

/** What the index keeps of a message in its mailbox, beside its content. */
export interface MailboxState {
    isRead: boolean;
    flagStatus: string;
    categories: string[];
    isDraft: boolean;
    /** Graph's receivedDateTime; '' when unknown. */
    receivedAt: string;
}

/** The message to create in the target folder. */
export function restoredMessage(read: ReadMessage, state: MailboxState, restoredFrom: string): NewMessage {
    const message = messageOf(read, state.isDraft, state.receivedAt || read.sentDateTime);
    message.singleValueExtendedProperties.push({ id: RESTORED_FROM_PROPERTY, value: restoredFrom });
    return {
        ...message,
        isRead: state.isRead,
        flag: { flagStatus: state.flagStatus || 'notFlagged' },
        categories: state.categories,
    };
}

/** A forwarded message, to be attached as an item: it was received when it was sent, for all its MIME says. */
export function attachedMessage(read: ReadMessage): NewMessage {
    return messageOf(read, false, read.sentDateTime);
}

function messageOf(read: ReadMessage, isDraft: boolean, received: string | undefined): NewMessage {
    const properties = [{ id: MESSAGE_FLAGS, value: isDraft ? FLAGS_DRAFT : FLAGS_SENT }];
    if (read.sentDateTime) properties.push({ id: SUBMIT_TIME, value: read.sentDateTime });
    if (received) properties.push({ id: DELIVERY_TIME, value: received });
    if (read.inReplyTo) properties.push({ id: IN_REPLY_TO, value: read.inReplyTo });
    if (read.references.length > 0) properties.push({ id: REFERENCES, value: read.references.join(' ') });
    const recipients = (name: keyof NewMessage, list: ReadMessage['toRecipients']) =>
        list.length > 0 ? { [name]: list } : {};
    if (read.body.content === undefined) {
        throw new UnrestorableMessageError(
            `its body (${read.body.size} bytes) is larger than Graph's 4 MB request cap; export gives its .eml`,
        );
    }
    return {
        subject: read.subject,
        body: { contentType: read.body.contentType, content: read.body.content },
        ...(read.from ? { from: read.from } : {}),
        ...(read.sender ? { sender: read.sender } : {}),
        ...recipients('toRecipients', read.toRecipients),
        ...recipients('ccRecipients', read.ccRecipients),
        ...recipients('bccRecipients', read.bccRecipients),
        ...recipients('replyTo', read.replyTo),
        importance: read.importance,
        ...(read.internetMessageId ? { internetMessageId: read.internetMessageId } : {}),
        singleValueExtendedProperties: properties,
    };
}
