import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ExportLayout } from '../../src/recovery/exportLayout';

const root = path.join('/', 'exports', 'alice');
const under = (...names: string[]) => path.join(root, ...names);

describe('where an export puts each folder and message', () => {
    it('gives each mailbox folder a directory of its safe display names, the same one every time', () => {
        const layout = new ExportLayout(root);

        expect(layout.directoryFor(['Inbox', 'Projects: 2026'])).toBe(under('Inbox', 'Projects_ 2026'));
        expect(layout.directoryFor(['Inbox', 'Projects: 2026'])).toBe(under('Inbox', 'Projects_ 2026'));
        expect(layout.directoryFor(['Inbox'])).toBe(under('Inbox'));
    });

    it('keeps apart folders whose names one file system would take for the same', () => {
        const layout = new ExportLayout(root);

        const projects = layout.directoryFor(['Projects']);
        const lower = layout.directoryFor(['projects']);
        const sameOnceSafe = layout.directoryFor(['Projects?']);
        const alsoSafe = layout.directoryFor(['Projects*']);

        expect(projects).toBe(under('Projects'));
        expect(lower).toBe(under('projects (2)'));
        expect(sameOnceSafe).toBe(under('Projects_'));
        expect(alsoSafe).toBe(under('Projects_ (2)'));
        expect(layout.directoryFor(['projects', 'Q1'])).toBe(under('projects (2)', 'Q1'));
        expect(layout.directoryFor(['Projects', 'Q1'])).toBe(under('Projects', 'Q1'));
    });

    it('gives every message a file name of its own, even with the same subject', () => {
        const layout = new ExportLayout(root);
        const inbox = layout.directoryFor(['Inbox']);

        const names = ['Hello', 'hello', 'Hello', 'HELLO'].map((subject) => layout.fileIn(inbox, subject, '.eml'));

        expect(names).toEqual([
            under('Inbox', 'Hello.eml'),
            under('Inbox', 'hello (2).eml'),
            under('Inbox', 'Hello (3).eml'),
            under('Inbox', 'HELLO (4).eml'),
        ]);
    });

    it('never hands a file the name of a folder directory, nor the other way round', () => {
        const layout = new ExportLayout(root);

        const file = layout.fileIn(root, 'Inbox', '');
        const directory = layout.directoryFor(['Inbox']);

        expect(file).toBe(under('Inbox'));
        expect(directory).toBe(under('Inbox (2)'));
    });

    it('keeps every name inside the export folder, whatever the display names say', () => {
        const layout = new ExportLayout(root);

        const climbing = layout.directoryFor(['..', '..', 'etc']);
        const file = layout.fileIn(climbing, '../../passwd', '.eml');

        expect(path.relative(root, climbing).startsWith('..')).toBe(false);
        expect(path.relative(root, file).startsWith('..')).toBe(false);
        expect(file).toBe(under('_', '_', 'etc', '_._.._passwd.eml'));
    });
});
