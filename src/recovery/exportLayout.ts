/**
 * Where each exported file goes under the export folder: one directory per mailbox folder (its display
 * names made safe), and a file name no other file of the export has.
 *
 * Names are compared as Windows and macOS compare them (collisionKey: case and normalisation folded):
 * two folders "Projects" and "projects", "Claſſ" and "Class", or two messages with the same subject,
 * get "name", "name (2)", ... in the order met. The
 * files themselves are created exclusively (`wx`), so even a name this missed never overwrites.
 */
import path from 'node:path';

import { collisionKey, safeName } from './safeNames';

export class ExportLayout {
    /** The collision key of every directory and file handed out, to what it was handed out for. */
    private readonly taken = new Map<string, string>();
    private readonly directories = new Map<string, string>();

    constructor(readonly root: string) {}

    /** The directory of a folder given as its display names from the top; '' names the root. */
    directoryFor(folderNames: readonly string[]): string {
        const key = JSON.stringify(folderNames);
        const known = this.directories.get(key);
        if (known !== undefined) return known;
        let directory = this.root;
        for (let depth = 0; depth < folderNames.length; depth++) {
            const owner = JSON.stringify(folderNames.slice(0, depth + 1));
            directory = this.claim(directory, safeName(folderNames[depth] ?? ''), '', owner);
        }
        this.directories.set(key, directory);
        return directory;
    }

    /** A new file name in `directory`: `base` made safe, then `extension`, suffixed when taken. */
    fileIn(directory: string, base: string, extension: string): string {
        return this.claim(directory, safeName(base), extension, undefined);
    }

    /**
     * The first of `name + extension`, `name (2) + extension`, ... not yet taken by another owner. A
     * directory belongs to one folder (its owner), a file to nobody: every file takes a new name.
     */
    private claim(directory: string, name: string, extension: string, owner: string | undefined): string {
        for (let n = 1; ; n++) {
            const candidate = path.join(directory, `${n === 1 ? name : `${name} (${n})`}${extension}`);
            const key = collisionKey(candidate);
            const holder = this.taken.get(key);
            if (holder !== undefined && (owner === undefined || holder !== owner)) continue;
            this.assertInside(candidate);
            this.taken.set(key, owner ?? candidate);
            return candidate;
        }
    }

    /** Safe names cannot climb out, but a file outside the export folder must be impossible, not unlikely. */
    private assertInside(candidate: string): void {
        const relative = path.relative(this.root, candidate);
        if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
            throw new Error(`Export path ${candidate} would leave ${this.root}`);
        }
    }
}
