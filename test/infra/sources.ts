/**
 * Reads infra/ and the code the way the infra tests need, without the Bicep CLI (it cannot be installed
 * here): Bicep is searched as text, so the templates keep a regular shape (one `param`, `var` or
 * `resource` per declaration, objects in braces) that these helpers rely on.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const INFRA = path.join(ROOT, 'infra');

export function read(relative: string): string {
    return readFileSync(path.join(ROOT, relative), 'utf8');
}

/** TypeScript without its comments, which may quote a setting's name to explain a convention. */
export function readCode(relative: string): string {
    return read(relative)
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

export function readJson<T = Record<string, unknown>>(relative: string): T {
    return JSON.parse(read(relative)) as T;
}

/** Files under a folder of the repository (recursively) whose names end with one of the extensions. */
export function filesUnder(relative: string, extensions: string[]): string[] {
    const dir = path.join(ROOT, relative);
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((name) => extensions.some((ext) => name.endsWith(ext)))
        .map((name) => path.join(relative, name))
        .sort();
}

export const bicepFiles = (): string[] => filesUnder('infra', ['.bicep']);

/** The text between the brace that opens after `start` matches and the brace that closes it. */
export function block(text: string, start: RegExp): string {
    const match = start.exec(text);
    if (!match) throw new Error(`no ${String(start)}`);
    const open = text.indexOf('{', match.index + match[0].length - 1);
    let depth = 0;
    for (let i = open; i < text.length; i++) {
        if (text[i] === '{') depth++;
        if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i);
    }
    throw new Error(`unbalanced braces after ${String(start)}`);
}

/** Keys of an object literal's top level (`name: value` lines). */
export function objectKeys(body: string): string[] {
    const keys: string[] = [];
    let depth = 0;
    for (const line of body.split('\n')) {
        const key = depth === 0 ? /^\s*'?([A-Za-z_][\w-]*)'?\s*:/.exec(line) : null;
        if (key) keys.push(key[1]!);
        depth += (line.match(/[{[]/g) ?? []).length - (line.match(/[}\]]/g) ?? []).length;
    }
    return keys;
}

export interface BicepParam {
    name: string;
    type: string;
    /** The default's text, or undefined when the parameter is required. */
    defaultText?: string;
}

export function bicepParams(relative: string): BicepParam[] {
    return [...read(relative).matchAll(/^param (\w+) ([\w[\]]+)(?: = (.+))?$/gm)].map((m) => ({
        name: m[1]!,
        type: m[2]!,
        defaultText: m[3],
    }));
}

export interface BicepResource {
    symbol: string;
    type: string;
    existing: boolean;
    /** What stands between `=` and the body's brace: `if (...)`, `[ for x in list:`. */
    header: string;
    body: string;
}

export function bicepResources(relative: string): BicepResource[] {
    const text = read(relative);
    return [...text.matchAll(/^resource (\w+) '([^'@]+)@[^']+'( existing)? = ([^{]*)/gm)].map((m) => ({
        symbol: m[1]!,
        type: m[2]!,
        existing: Boolean(m[3]),
        header: m[4]!.trim(),
        body: block(text.slice(m.index), /=/),
    }));
}

/** The app settings infra gives the Function App: every key of the objects api.bicep unions, and main.bicep's. */
export function infraAppSettings(): Set<string> {
    const api = read('infra/app/api.bicep');
    const union = /properties: union\((.*)\)$/m.exec(api);
    if (!union) throw new Error('api.bicep: no app settings union');
    const names = new Set<string>();
    for (const part of union[1]!.match(/\b\w*[sS]ettings\b/g) ?? []) {
        const body =
            part === 'appSettings'
                ? block(read('infra/main.bicep'), /^\s*appSettings: /m)
                : block(api, new RegExp(`^var ${part} = [^{]*`, 'm'));
        for (const key of objectKeys(body)) names.add(key);
    }
    return names;
}

/** Application settings the code reads, with where each name was found. */
export function settingsReadByCode(): Map<string, string> {
    const found = new Map<string, string>();
    const add = (name: string, where: string) => found.has(name) || found.set(name, where);
    const sources = ['src/config.ts', ...filesUnder('src/functions', ['.ts'])];
    for (const file of sources) {
        const text = readCode(file);
        // Functions that read `${prefix}__suffix` settings (the Functions identity-connection convention).
        const prefixReaders = new Map<string, string[]>();
        for (const fn of text.matchAll(/function (\w+)\(\s*env\b[^,)]*,\s*(\w+): string\)/g)) {
            const body = block(text.slice(fn.index), /\)[^{]*/);
            const suffixes = [...body.matchAll(new RegExp('`\\$\\{' + fn[2]! + '\\}(__\\w+)`', 'g'))].map((m) => m[1]!);
            if (suffixes.length > 0) prefixReaders.set(fn[1]!, [...new Set(suffixes)]);
        }
        for (const call of text.matchAll(/\b(\w+)\(\s*env\s*,\s*(['"])([A-Za-z_]\w*)\2/g)) {
            const suffixes = prefixReaders.get(call[1]!);
            if (suffixes) for (const suffix of suffixes) add(`${call[3]!}${suffix}`, file);
            else add(call[3]!, file);
        }
        for (const m of text.matchAll(/process\.env(?:\.(\w+)|\[\s*'(\w+)'\s*\])/g)) add((m[1] ?? m[2])!, file);
    }
    for (const [name, file] of percentSettings()) add(name, file);
    return found;
}

/** `%NAME%` references: resolved by the host at startup, which fails when the setting is missing. */
export function percentSettings(): Map<string, string> {
    const found = new Map<string, string>();
    for (const file of ['host.json', ...filesUnder('src/functions', ['.ts'])]) {
        const text = file.endsWith('.ts') ? readCode(file) : read(file);
        for (const m of text.matchAll(/(['"`])%([A-Za-z_]\w*)%\1/g)) found.set(m[2]!, file);
    }
    return found;
}
