import type { MailWriter } from '../graph/mailWriter';

/**
 * The folder tree a restore writes into: `<root>/<original path>` in the target mailbox, created on first
 * use. A folder already there (an earlier call of the same restore) is reused, so a continued restore fills
 * the same tree. Exchange compares folder names without case, and so does the cache.
 */
export class RestoreFolders {
    private readonly ids = new Map<string, Promise<string>>();

    constructor(
        private readonly writer: MailWriter,
        readonly rootName: string,
    ) {}

    /** The target folder for a source folder, given as its display names from the top ('Inbox', 'Projects'). */
    folderFor(names: readonly string[]): Promise<string> {
        return this.ensure([this.rootName, ...names]);
    }

    private ensure(path: readonly string[]): Promise<string> {
        const key = JSON.stringify(path.map((name) => name.toLowerCase()));
        let id = this.ids.get(key);
        if (!id) {
            // Lanes restoring messages of the same folder share one creation.
            id = (async () => {
                const parentId = path.length > 1 ? await this.ensure(path.slice(0, -1)) : undefined;
                return this.writer.ensureFolder(parentId, path[path.length - 1] ?? '');
            })();
            this.ids.set(key, id);
            id.catch(() => this.ids.delete(key));
        }
        return id;
    }
}
