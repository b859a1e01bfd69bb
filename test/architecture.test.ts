/**
 * Imports between folders of src/ run one way: entry points (functions, cli) → use cases → graph and store.
 * A circle between folders means a reader cannot understand one without the other; this names the imports
 * that close each circle so the move that breaks it is obvious.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '../src');

/** Every import of one folder by another: "from folder" → "to folder" → the file-level imports behind it. */
function folderImports(): Map<string, Map<string, string[]>> {
    const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
    const folderOf = (file: string) => path.dirname(file);
    const imports = new Map<string, Map<string, string[]>>();
    for (const file of files) {
        const text = readFileSync(path.join(SRC, file), 'utf8');
        for (const [, specifier = ''] of text.matchAll(/from '(\.[^']*)'/g)) {
            let target = path.relative(SRC, path.resolve(SRC, path.dirname(file), specifier));
            if (!existsSync(path.join(SRC, `${target}.ts`))) target = path.join(target, 'index');
            const from = folderOf(file);
            const to = folderOf(target);
            if (from === to) continue;
            const byTarget = imports.get(from) ?? new Map<string, string[]>();
            imports.set(from, byTarget);
            byTarget.set(to, [...(byTarget.get(to) ?? []), `${file} -> ${target}.ts`]);
        }
    }
    return imports;
}

/** The folders that can reach each other through imports (strongly connected components with more than one). */
function circles(imports: Map<string, Map<string, string[]>>): string[][] {
    const reach = (start: string): Set<string> => {
        const seen = new Set<string>();
        const todo = [start];
        for (let folder = todo.pop(); folder !== undefined; folder = todo.pop()) {
            for (const next of imports.get(folder)?.keys() ?? []) {
                if (seen.has(next)) continue;
                seen.add(next);
                todo.push(next);
            }
        }
        return seen;
    };
    const reachable = new Map([...imports.keys()].map((folder) => [folder, reach(folder)]));
    const found = new Map<string, string[]>();
    for (const [folder, seen] of reachable) {
        const circle = [...seen].filter((other) => reachable.get(other)?.has(folder)).sort();
        if (circle.length > 1) found.set(circle.join(), circle);
    }
    return [...found.values()];
}

/** One line per folder-to-folder import inside a circle, fewest imports first: those are usually the ones to undo. */
function describeCircle(circle: string[], imports: Map<string, Map<string, string[]>>): string[] {
    const edges = circle.flatMap((from) =>
        circle.flatMap((to) => {
            const files = imports.get(from)?.get(to);
            return from === to || !files ? [] : [{ from, to, files }];
        }),
    );
    return edges
        .sort((a, b) => a.files.length - b.files.length)
        .map(({ from, to, files }) => {
            const more = files.length > 3 ? ` (+${files.length - 3} more)` : '';
            return `${from} -> ${to}: ${files.slice(0, 3).join(', ')}${more}`;
        });
}

describe('the folders of src/', () => {
    it('import each other one way only, with no circle between folders', () => {
        const imports = folderImports();
        expect(circles(imports).map((circle) => describeCircle(circle, imports))).toEqual([]);
    });
});
