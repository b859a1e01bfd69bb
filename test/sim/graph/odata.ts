import { GraphError } from './graphError';

/**
 * Splits a Graph path into segments, turning the OData key form that paging links use (`users('id')`) into the
 * plain form (`users`, `id`). Segments are percent-decoded after splitting, so an encoded '/' or '#' stays inside
 * its segment. Undefined when the path cannot be decoded.
 */
export function pathSegments(pathname: string): string[] | undefined {
    const segments: string[] = [];
    for (const raw of pathname.split('/').filter(Boolean)) {
        let segment: string;
        try {
            segment = decodeURIComponent(raw);
        } catch {
            return undefined;
        }
        const keyed = /^([^(]+)\('((?:[^']|'')*)'\)$/.exec(segment);
        if (keyed?.[1] !== undefined && keyed[2] !== undefined) segments.push(keyed[1], keyed[2].replace(/''/g, "'"));
        else segments.push(segment.replace(/\(\)$/, ''));
    }
    return segments;
}

export interface Preferences {
    maxPageSize?: number;
    immutableIds: boolean;
}

/** `Prefer: odata.maxpagesize=200, IdType="ImmutableId"`, possibly split over several headers. */
export function parsePrefer(header: string | string[] | undefined): Preferences {
    const parts = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    const prefs: Preferences = { immutableIds: false };
    for (const part of parts) {
        const [name = '', value = ''] = part.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
        if (name.toLowerCase() === 'odata.maxpagesize' && /^\d+$/.test(value)) prefs.maxPageSize = Number(value);
        if (name.toLowerCase() === 'idtype' && value.toLowerCase() === 'immutableid') prefs.immutableIds = true;
    }
    return prefs;
}

/** `$select=id,subject` → canonical property names; unknown ones answer 400 as Graph does. */
export function parseSelect(
    value: string | null,
    known: readonly string[],
    type: string,
    code = 'RequestBroker--ParseUri',
): string[] | undefined {
    if (value === null || value.trim() === '') return undefined;
    return value.split(',').map((raw) => {
        const name = raw.trim();
        const canonical = known.find((k) => k.toLowerCase() === name.toLowerCase());
        if (!canonical) {
            throw new GraphError(400, code, `Could not find a property named '${name}' on type '${type}'.`);
        }
        return canonical;
    });
}

export interface ExpandItem {
    name: string;
    /** Nested query options, e.g. `$select` or `$filter`, keyed by lower-case option name. */
    options: Map<string, string>;
}

/** `$expand=attachments($select=id,name),singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')`. */
export function parseExpand(value: string | null): ExpandItem[] {
    if (!value) return [];
    const items: ExpandItem[] = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i <= value.length; i++) {
        const c = value[i];
        if (c === '(') depth++;
        if (c === ')') depth--;
        if ((c === ',' && depth === 0) || i === value.length) {
            items.push(expandItem(value.slice(start, i).trim()));
            start = i + 1;
        }
    }
    return items;
}

function expandItem(text: string): ExpandItem {
    const open = text.indexOf('(');
    const name = (open < 0 ? text : text.slice(0, open)).trim();
    const options = new Map<string, string>();
    if (open >= 0) {
        for (const option of text.slice(open + 1, text.lastIndexOf(')')).split(';')) {
            const eq = option.indexOf('=');
            if (eq > 0) options.set(option.slice(0, eq).trim().toLowerCase(), option.slice(eq + 1).trim());
        }
    }
    return { name, options };
}

/** Positive integer query option within [1, max], else the Graph error the service gives for a bad page size. */
export function parseTop(value: string | null, max: number, code = 'BadRequest'): number | undefined {
    if (value === null) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) {
        throw new GraphError(
            400,
            code,
            `Invalid page size specified: '${value}'. Must be between 1 and ${max} inclusive.`,
        );
    }
    return n;
}

/** Graph's timestamps: ISO 8601 in UTC without milliseconds. */
export function graphDate(date: Date): string {
    return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
