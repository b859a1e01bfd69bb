import { keySegment, preferenceApplied, requireMailbox, requireMessage, type GraphContext } from './context';
import { notFound, notSimulated } from './graphError';
import type { SimAttachment } from '../model/message';
import { ATTACHMENT_PROPERTIES, attachmentJson, messageJson } from './messageJson';
import { parseMessageQuery } from './messageQuery';
import { parseSelect } from './odata';
import type { JsonReply, StreamReply } from '../http/reply';

/** GET .../messages/{id}, with $select and $expand=attachments(...) or the size extended property. */
export function getMessage(ctx: GraphContext): JsonReply {
    const { user, mailbox } = requireMailbox(ctx);
    const message = requireMessage(ctx, mailbox);
    const query = parseMessageQuery(ctx.query, true);
    const json = {
        '@odata.context': `${ctx.base}/v1.0/$metadata#${keySegment('users', user.id)}/messages/$entity`,
        ...messageJson(message, { ...query, immutableIds: ctx.prefer.immutableIds }),
    };
    return { status: 200, json, headers: preferenceApplied(ctx) };
}

/**
 * GET .../messages/{id}/$value: the exact MIME, streamed as text/plain without Content-Length (docs/graph-behaviour.md,
 * "The Graph client library").
 */
export function getMessageValue(ctx: GraphContext, onServed: (immutableId: string) => void): StreamReply {
    const { mailbox } = requireMailbox(ctx);
    const message = requireMessage(ctx, mailbox);
    return {
        status: 200,
        contentType: 'text/plain',
        stream: () => message.chunks(),
        headers: preferenceApplied(ctx),
        onComplete: () => onServed(message.id),
    };
}

export function listAttachments(ctx: GraphContext): JsonReply {
    const { user, mailbox } = requireMailbox(ctx);
    const message = requireMessage(ctx, mailbox);
    const select = parseSelect(ctx.query.get('$select'), ATTACHMENT_PROPERTIES, 'microsoft.graph.attachment');
    const messageId = message.idFor(ctx.prefer.immutableIds);
    const json = {
        '@odata.context': `${ctx.base}/v1.0/$metadata#${keySegment('users', user.id)}/messages('${messageId}')/attachments`,
        value: message.attachments.map((a) => attachmentJson(a, select)),
    };
    return { status: 200, json, headers: preferenceApplied(ctx) };
}

export function getAttachment(ctx: GraphContext): JsonReply {
    const attachment = requireAttachment(ctx);
    const select = parseSelect(ctx.query.get('$select'), ATTACHMENT_PROPERTIES, 'microsoft.graph.attachment');
    return { status: 200, json: attachmentJson(attachment, select), headers: preferenceApplied(ctx) };
}

/** GET .../attachments/{id}/$value: the raw bytes of a file attachment. */
export function getAttachmentValue(ctx: GraphContext): StreamReply {
    const attachment = requireAttachment(ctx);
    return { status: 200, contentType: attachment.contentType, stream: () => attachment.chunks() };
}

function requireAttachment(ctx: GraphContext): SimAttachment {
    const { mailbox } = requireMailbox(ctx);
    const message = requireMessage(ctx, mailbox);
    const attachment = message.attachments.find((a) => a.id === ctx.params.attachment);
    if (!attachment) throw notFound();
    return attachment;
}

const EXTENDED_PROPERTY_FILTER =
    /^singleValueExtendedProperties\/any\((\w+):\s*\1\/id eq '(.+?)' and \1\/value eq '(.*?)'\)$/i;

/**
 * GET /users/{id}/messages?$filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…'): the
 * messages carrying that extended property value (the documented way to find an item by a property the app set).
 * Other listings are not simulated.
 */
export function findMessagesByProperty(ctx: GraphContext): JsonReply {
    const { user, mailbox } = requireMailbox(ctx);
    const filter = EXTENDED_PROPERTY_FILTER.exec(ctx.query.get('$filter') ?? '');
    if (!filter || ctx.params.folder !== undefined)
        throw notSimulated('message lists other than a filter on an extended property');
    const [, , id = '', value = ''] = filter;
    const found = mailbox
        .messages()
        .filter((m) => m.extendedProperties.get(id.toLowerCase()) === value.replace(/''/g, "'"));
    return {
        status: 200,
        json: {
            '@odata.context': `${ctx.base}/v1.0/$metadata#${keySegment('users', user.id)}/messages(id)`,
            value: found.map((m) => ({ id: m.idFor(ctx.prefer.immutableIds) })),
        },
        headers: preferenceApplied(ctx),
    };
}
