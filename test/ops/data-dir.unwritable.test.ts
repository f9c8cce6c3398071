// A DATA_DIR the process cannot write stops the boot with one line naming the setting, not a stack trace.
// CI runs as root, which ignores permission bits, so the unwritable paths here are ones root cannot write
// either: a path that runs through a regular file, and a regular file in place of the directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failedBoot } from '../support/server-process.ts';

describe('booting on a DATA_DIR that cannot be written', () => {
  let scratch: string;
  let file: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'idp-data-dir-'));
    file = join(scratch, 'not-a-directory');
    writeFileSync(file, 'x');
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test.each([
    ['a path through a regular file', () => join(file, 'data'), /ENOTDIR/],
    ['a regular file in place of the directory', () => file, /EEXIST|ENOTDIR/],
  ])('%s: exit code 78 and one line naming DATA_DIR and why', async (_name, dataDir, reason) => {
    const { code, output } = await failedBoot({ DATA_DIR: dataDir() });
    expect(code).toBe(78);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`DATA_DIR ${dataDir()} is not writable: `);
    expect(lines[0]).toMatch(reason);
    expect(output).not.toMatch(/^\s+at /m);
  });
});
