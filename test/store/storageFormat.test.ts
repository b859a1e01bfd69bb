/**
 * docs/storage-format.md is the specification of what a backup stores. These tests hold it to the code: the tables
 * openStorage creates, every property of every table entity and its Edm type, the JSON copy's schema version and
 * fields, and the index snapshot header. The doc marks each property table with `<!-- entity: Name -->`, Name being
 * the TypeScript interface whose own properties the table lists.
 */
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { odata, TableClient, TableServiceClient } from '@azure/data-tables';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

import { MESSAGE_COPY_SCHEMA } from '../../src/mime/messageCopy';
import { HIERARCHY_ROW_KEY } from '../../src/store/folderState';
import { SNAPSHOT_TABLES } from '../../src/store/indexSnapshot';
import { openStorage } from '../../src/store/storage';
import { MAX_KEY_LENGTH, toTableKey } from '../../src/store/tableKeys';
import { toTableEntity } from '../../src/store/tableRows';
import { testConnectionString, uniquePrefix } from '../support/storage';

const ROOT = join(__dirname, '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'storage-format.md'), 'utf8');

/** Interfaces whose rows the tables hold: every `…Entity` of the code, and these. */
const TABLE_INTERFACES = ['RunCounters', 'RestoreCounters'];
/** Interfaces of JSON documents in blobs. */
const JSON_INTERFACES = ['MessageCopy', 'CopyBody', 'CopyAttachment', 'Recipient', 'EmailAddress', 'SnapshotHeader'];
const KEY_NAMES: Record<string, string> = { partitionKey: 'PartitionKey', rowKey: 'RowKey' };

interface Property {
    name: string;
    optional: boolean;
    /** As written: the TypeScript type in the code, the type column in the doc. */
    type: string;
}

describe('docs/storage-format.md', () => {
    it('names the tables that openStorage creates, and the tables index snapshots copy', async () => {
        const prefix = uniquePrefix();
        const connectionString = testConnectionString();
        await openStorage({ connectionString, tablePrefix: prefix, container: prefix });
        const service = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
        const created: string[] = [];
        const filter = odata`TableName ge ${prefix} and TableName lt ${`${prefix}~`}`;
        for await (const table of service.listTables({ queryOptions: { filter } })) {
            created.push((table.name ?? '').slice(prefix.length));
        }
        const documented = documentedTables(DOC);
        expect([...documented].sort()).toEqual(created.sort());
        for (const table of SNAPSHOT_TABLES) expect(documented).toContain(table);
    });

    it('names the Edm types the service keeps: Int32 for a number that fits, Double past 2^31', async () => {
        const connectionString = testConnectionString();
        const table = TableClient.fromConnectionString(connectionString, uniquePrefix(), {
            allowInsecureConnection: true,
        });
        await table.createTable();
        // Written the way every store writes its rows (tableRows.ts), read back as the service keeps them.
        const row = { partitionKey: 'p', rowKey: 'r', text: 'x', empty: '', flag: true, count: 7, bytes: 5 * 2 ** 30 };
        await table.upsertEntity(toTableEntity(row), 'Replace');
        expect(await storedEdmTypes(connectionString, table)).toEqual({
            PartitionKey: 'String',
            RowKey: 'String',
            text: 'String',
            empty: 'String',
            flag: 'Boolean',
            count: 'Int32',
            bytes: 'Double',
            Timestamp: 'DateTime',
        });
        expect(DOC).toMatch(/`Int32\/Double`: a whole number\. .* `Edm\.Int32`, .* as `Edm\.Double`/s);
    });

    it('lists every property the code writes, with its type, and the JSON copy of the schema the code writes', () => {
        expect(formatDrift(DOC)).toEqual([]);
    });

    it('gives the key rules: its example, the lone surrogate escape, the digest form and its lengths', () => {
        const [, id = '', key = ''] = /Example: `([^`]+)` becomes `([^`]+)`/.exec(DOC) ?? [];
        expect(toTableKey(id)).toBe(key);
        expect(toTableKey('a\ud800b')).toBe('a!uD800b');
        expect(DOC).toContain('becomes `!u` and four uppercase hex digits');
        const digest = toTableKey('x'.repeat(MAX_KEY_LENGTH + 1));
        const prefixLength = digest.indexOf('!!');
        expect(digest.slice(prefixLength + 2)).toMatch(/^[0-9a-f]{64}$/);
        expect(DOC).toContain(
            `longer than ${MAX_KEY_LENGTH} UTF-16 code units, the key is instead: its first ${prefixLength}`,
        );
        expect(DOC).toContain(`RowKey \`${HIERARCHY_ROW_KEY}\``);
    });

    it('is found to drift when a property, a table of properties or the schema version is missing', () => {
        const withoutProperty = DOC.replace(/^\| `placedSince` .*\n/m, '');
        expect(withoutProperty).not.toBe(DOC);
        expect(formatDrift(withoutProperty)).toEqual(['MessageEntity.placedSince: in the code, not in the doc']);

        const withWrongType = DOC.replace(/^(\| `isInline` +\| )Boolean/m, '$1String ');
        expect(formatDrift(withWrongType)).toEqual([
            'AttachmentEntity.isInline: the doc says String, the code writes Boolean',
        ]);

        const withoutTable = DOC.replace('<!-- entity: HierarchyEntity -->', '');
        expect(formatDrift(withoutTable)).toEqual(['HierarchyEntity: no property table in the doc']);

        const olderSchema = DOC.replaceAll(MESSAGE_COPY_SCHEMA, 'mail-backup/message@1');
        expect(formatDrift(olderSchema)).toContain(`the doc does not describe schema ${MESSAGE_COPY_SCHEMA}`);
    });
});

/**
 * The Edm type of each property of the table's one row, as the service holds it. The SDK cannot tell (it reads an
 * unannotated JSON number back as Int32 whatever it is), so this asks for full metadata itself: a property of another
 * type than String, Boolean, Int32 or Double is annotated, and a Double is written with a decimal point.
 */
async function storedEdmTypes(connectionString: string, table: TableClient): Promise<Record<string, string>> {
    const setting = (name: string) => new RegExp(`${name}=([^;]+)`).exec(connectionString)?.[1] ?? '';
    const url = new URL(`${table.url}/${table.tableName}()`);
    const date = new Date().toUTCString();
    const signature = createHmac('sha256', Buffer.from(setting('AccountKey'), 'base64'))
        .update(`${date}\n/${setting('AccountName')}${url.pathname}`)
        .digest('base64');
    const response = await fetch(url, {
        headers: {
            'x-ms-date': date,
            'x-ms-version': '2019-02-02',
            accept: 'application/json;odata=fullmetadata',
            authorization: `SharedKeyLite ${setting('AccountName')}:${signature}`,
        },
    });
    const text = await response.text();
    const body = JSON.parse(text) as { value: Record<string, unknown>[] };
    const [entity = {}] = body.value;
    const types: Record<string, string> = {};
    for (const [name, value] of Object.entries(entity)) {
        if (name.startsWith('odata.') || name.endsWith('@odata.type')) continue;
        const annotated = entity[`${name}@odata.type`];
        if (typeof annotated === 'string') types[name] = annotated.replace(/^Edm\./, '');
        else if (typeof value === 'boolean') types[name] = 'Boolean';
        else if (typeof value === 'string') types[name] = 'String';
        else types[name] = new RegExp(`"${name}":-?\\d+[.eE]`).test(text) ? 'Double' : 'Int32';
    }
    return types;
}

/** What differs between the doc and the code, one line per difference; empty when they agree. */
function formatDrift(doc: string): string[] {
    const problems: string[] = [];
    const code = codeInterfaces();
    const documented = documentedEntities(doc);
    const tableInterfaces = [...[...code.keys()].filter((name) => name.endsWith('Entity')), ...TABLE_INTERFACES];
    for (const name of [...tableInterfaces, ...JSON_INTERFACES]) {
        const inCode = code.get(name);
        const inDoc = documented.get(name);
        if (!inCode) problems.push(`${name}: in the doc's list of interfaces, not in the code`);
        else if (!inDoc) problems.push(`${name}: no property table in the doc`);
        else problems.push(...propertyDrift(name, inCode, inDoc, tableInterfaces.includes(name) ? edmType : jsonType));
    }
    for (const name of documented.keys()) {
        if (!tableInterfaces.includes(name) && !JSON_INTERFACES.includes(name)) {
            problems.push(`${name}: a property table in the doc, no such interface in the code`);
        }
    }
    if (!doc.includes(`## The JSON copy (\`${MESSAGE_COPY_SCHEMA}\`)`)) {
        problems.push(`the doc does not describe schema ${MESSAGE_COPY_SCHEMA}`);
    }
    const example = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
    const copy = example ? (JSON.parse(example.replaceAll('…', '')) as Record<string, unknown>) : {};
    if (copy.schema !== MESSAGE_COPY_SCHEMA) problems.push(`the doc's example is not of schema ${MESSAGE_COPY_SCHEMA}`);
    const fields = new Set(code.get('MessageCopy')?.map((property) => property.name));
    for (const field of Object.keys(copy)) {
        if (!fields.has(field)) problems.push(`the doc's example has ${field}, which MessageCopy has not`);
    }
    return problems;
}

function propertyDrift(
    entity: string,
    inCode: Property[],
    inDoc: Property[],
    expectedType: (property: Property) => string,
): string[] {
    const problems: string[] = [];
    const documented = new Map(inDoc.map((property) => [property.name, property]));
    for (const property of inCode) {
        const name = KEY_NAMES[property.name] ?? property.name;
        const described = documented.get(name);
        documented.delete(name);
        if (!described) {
            problems.push(`${entity}.${name}: in the code, not in the doc`);
            continue;
        }
        const type = expectedType(property);
        const said = described.type.replace(/\?$/, '');
        if (!typeMatches(said, type)) problems.push(`${entity}.${name}: the doc says ${said}, the code writes ${type}`);
        if (described.optional !== property.optional) {
            problems.push(`${entity}.${name}: ${property.optional ? 'optional' : 'always present'} in the code`);
        }
    }
    for (const name of documented.keys()) problems.push(`${entity}.${name}: in the doc, not in the code`);
    return problems;
}

/** Table properties: the doc gives the Edm type exactly. JSON fields: the doc's type says at least this much. */
function typeMatches(said: string, type: string): boolean {
    return type === 'any' ? true : type.endsWith('[]') ? said.endsWith('[]') : said === type;
}

/** How a property of a table entity is stored (src/store/tableRows.ts, toTableEntity). */
function edmType(property: Property): string {
    if (isNumber(property.type)) return 'Int32/Double';
    if (property.type === 'boolean') return 'Boolean';
    return 'String';
}

function jsonType(property: Property): string {
    if (isNumber(property.type)) return 'number';
    if (property.type === 'boolean') return 'boolean';
    if (property.type.endsWith('[]')) return 'array[]';
    if (property.type === 'string') return 'string';
    return 'any'; // string literals and objects: the doc names them in its own words
}

function isNumber(type: string): boolean {
    return type === 'number' || /^\d+$/.test(type);
}

/** The tables of the doc's `<!-- tables -->` table, by their first column. */
function documentedTables(doc: string): Set<string> {
    const [, after = ''] = doc.split('<!-- tables -->');
    return new Set(tableRows(after).map(([first]) => /`(\w+)`/.exec(first ?? '')?.[1] ?? ''));
}

/** Each `<!-- entity: Name -->` table of the doc: its properties, a `?` ending the type of an optional one. */
function documentedEntities(doc: string): Map<string, Property[]> {
    const entities = new Map<string, Property[]>();
    const parts = doc.split(/<!-- entity: (\w+) -->/);
    for (let i = 1; i < parts.length; i += 2) {
        const properties: Property[] = [];
        for (const [first = '', second = ''] of tableRows(parts[i + 1] ?? '')) {
            const type = second.replaceAll('\\|', '|');
            for (const [, name = ''] of first.matchAll(/`(\w+)`/g)) {
                properties.push({ name, type, optional: type.endsWith('?') });
            }
        }
        entities.set(parts[i] ?? '', properties);
    }
    return entities;
}

/** The cells of the first Markdown table in `text`, header and separator left out. */
function tableRows(text: string): string[][] {
    const lines = text.split('\n');
    const start = lines.findIndex((line) => line.startsWith('|'));
    if (start < 0) return [];
    const rows: string[][] = [];
    for (const line of lines.slice(start + 2)) {
        if (!line.startsWith('|')) break;
        rows.push(
            line
                .split(/(?<!\\)\|/)
                .slice(1, -1)
                .map((cell) => cell.trim()),
        );
    }
    return rows;
}

let parsedInterfaces: Map<string, Property[]> | undefined;

/** Every interface declared in src/, by name: its own properties (not those it extends). */
function codeInterfaces(): Map<string, Property[]> {
    if (parsedInterfaces) return parsedInterfaces;
    const interfaces = new Map<string, Property[]>();
    for (const file of sourceFiles(join(ROOT, 'src'))) {
        const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
        source.forEachChild((node) => {
            if (!ts.isInterfaceDeclaration(node)) return;
            const properties = node.members.filter(ts.isPropertySignature).map((member) => ({
                name: member.name.getText(source),
                optional: member.questionToken !== undefined,
                type: member.type?.getText(source) ?? '',
            }));
            interfaces.set(node.name.text, properties);
        });
    }
    parsedInterfaces = interfaces;
    return interfaces;
}

function sourceFiles(directory: string): string[] {
    return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
        const path = join(directory, entry.name);
        if (entry.isDirectory()) return sourceFiles(path);
        return entry.name.endsWith('.ts') ? [path] : [];
    });
}
