// The embedded store checkpoints its WAL from a worker thread: pages written by a connection that never
// checkpoints itself still reach the database file, so the server's commits need not stop the event loop to copy.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';
import { waitFor } from '../support/wait-for.ts';

describe('sqlite WAL checkpoints off the event loop', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-wal-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test('a WAL left by a writer that never checkpoints is copied into the database file; close stops the worker', async () => {
    const storage = await openSqliteStorage({ dataDir, clientSecretKey: Buffer.alloc(32, 7) });
    const file = join(dataDir, 'idp.sqlite');
    const writer = new DatabaseSync(file);
    try {
      writer.exec('PRAGMA wal_autocheckpoint = 0');
      writer.exec('CREATE TABLE wal_test (body BLOB NOT NULL)');
      const before = statSync(file).size;
      const insert = writer.prepare('INSERT INTO wal_test (body) VALUES (?)');
      // 4 MiB in the WAL, under any connection's autocheckpoint size (16 MiB): only the worker copies it.
      writer.exec('BEGIN');
      for (let i = 0; i < 256; i++) insert.run(Buffer.alloc(16 * 1024, i));
      writer.exec('COMMIT');
      await waitFor(() => (statSync(file).size >= before + 4 * 1024 * 1024 ? true : undefined), { timeoutMs: 30_000, what: 'the WAL was never checkpointed into the database file' });
    } finally {
      writer.close();
      await storage.close();
    }
    // Closed twice (shutdown paths do): the second close resolves too.
    await storage.close();
  });
});
