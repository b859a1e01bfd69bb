import { notSimulated } from './graphError';
import { ATTACHMENT_PROPERTIES, MESSAGE_PROPERTIES } from './messageJson';
import { parseExpand, parseSelect } from './odata';

/** `id eq 'Integer 0x0E08'`, in any spelling Graph accepts: the type is case-insensitive, the tag any hex form. */
const PROPERTY_FILTER = /^id eq '(\w+) 0x([0-9a-f]+)'$/i;
const SIZE_TAG = 0x0e08;

export interface MessageQuery {
    select?: string[];
    expandSize: boolean;
    expandAttachments?: { select?: string[] };
}

/**
 * $select and $expand of message requests. The only extended property the simulator knows is PR_MESSAGE_SIZE
 * (docs/graph-behaviour.md, "Message content and change detection"); a filter for any other returns an empty list, as
 * for a property that is not set.
 */
export function parseMessageQuery(query: URLSearchParams, allowAttachments: boolean): MessageQuery {
    const result: MessageQuery = {
        select: parseSelect(query.get('$select'), MESSAGE_PROPERTIES, 'microsoft.graph.message'),
        expandSize: false,
    };
    for (const item of parseExpand(query.get('$expand'))) {
        const name = item.name.toLowerCase();
        if (name === 'singlevalueextendedproperties') {
            result.expandSize ||= isSizeFilter(item.options.get('$filter') ?? '');
        } else if (name === 'attachments' && allowAttachments) {
            const select = item.options.get('$select') ?? null;
            result.expandAttachments = {
                select: parseSelect(select, ATTACHMENT_PROPERTIES, 'microsoft.graph.attachment'),
            };
        } else {
            throw notSimulated(`$expand=${item.name} here`);
        }
    }
    return result;
}

function isSizeFilter(filter: string): boolean {
    const [, type = '', hex = ''] = PROPERTY_FILTER.exec(filter) ?? [];
    return type.toLowerCase() === 'integer' && parseInt(hex, 16) === SIZE_TAG;
}
