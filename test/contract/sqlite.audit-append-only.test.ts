// The SQLite audit table is append-only even for hand-written SQL: the trigger refuses any UPDATE.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';

describe('sqlite audit log', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-audit-sqlite-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses an UPDATE of an event from any connection, and still lets retention delete', async () => {
    const storage = await openSqliteStorage({ dataDir });
    const raw = new DatabaseSync(join(dataDir, 'idp.sqlite'));
    try {
      const event = {
        id: randomUUID(), type: 'sign_in.failure' as const, at: new Date(1000), accountId: randomUUID(), ip: null,
        userAgent: null, country: null, reason: 'wrong_password', details: { attempt: 1 },
      };
      await storage.audit.append(event);
      expect(() => raw.prepare('UPDATE audit_events SET reason = ? WHERE id = ?').run('nothing_happened', event.id)).toThrow(/append-only/);
      expect(() => raw.prepare("UPDATE audit_events SET details = '{}'").run()).toThrow(/append-only/);
      // A details column that is not a JSON object is refused too.
      expect(() => raw.prepare("INSERT INTO audit_events (id, type, at, details) VALUES ('x', 'sign_in.failure', 1, '[1]')").run()).toThrow(/CHECK constraint failed/);
      expect(await storage.audit.list({ accountId: event.accountId, limit: 10 })).toEqual([event]);
      expect(await storage.audit.deleteBefore(new Date(1001))).toBe(1);
    } finally {
      raw.close();
      await storage.close();
    }
  });
});
