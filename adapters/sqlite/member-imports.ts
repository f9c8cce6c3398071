// SQLite side of bulk member imports: a batch is one BEGIN IMMEDIATE transaction holding its rows and its checkpoint,
// so after a kill -9 the file holds whole batches and the checkpoint names exactly the last of them. Members new to
// the store go in with one prepared INSERT per table, run row after row in key order; a row that goes the row-by-row way is a savepoint, so a row
// error leaves nothing of that row behind.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type {
  ImportCheckpoint, ImportCounts, ImportJob, ImportJobState, ImportRowErrorRecord, MemberImportData, MemberImportStore, NewImportMember, NewImportResult,
} from '../../server/domain/accounts/member-import-store.ts';
import { ledgerEvents, memberCreatedEvent, phoneVerifiedEvent, type DomainEvent } from '../../server/domain/events/domain-event.ts';
import { importedLedger } from '../../server/domain/accounts/imported-ledger.ts';
import { assertValidMember } from '../../server/domain/loyalty/ledger-rules.ts';
import { integer, text, textOrNull, type Row } from './rows.ts';

function toJob(row: Row): ImportJob {
  return {
    id: text(row, 'id'),
    state: text(row, 'state') as ImportJobState,
    format: text(row, 'format') === 'csv' ? 'csv' : 'ndjson',
    size: integer(row, 'size'),
    counts: JSON.parse(text(row, 'counts')) as ImportCounts,
    line: integer(row, 'line'),
    error: textOrNull(row, 'error'),
    createdAt: new Date(integer(row, 'created_at')),
    updatedAt: new Date(integer(row, 'updated_at')),
  };
}

const BULK_CACHE_KIB = 64 * 1024;

/** The values of `column` among `values`, with one statement: the batch's keys as a JSON array joined to the index. */
function presentIn(db: DatabaseSync, table: string, column: string, values: readonly string[]): Set<string> {
  if (values.length === 0) return new Set();
  const rows = db.prepare(`SELECT t.${column} AS v FROM json_each(?) AS j JOIN ${table} AS t ON t.${column} = j.value`).all(JSON.stringify(values));
  return new Set(rows.map((row) => text(row, 'v')));
}

/** Rows per INSERT of the bulk path (at most 12 columns each: far below SQLite's 32,766 bound parameters). */
const ROWS_PER_INSERT = 64;

/**
 * One table's bulk INSERT, ROWS_PER_INSERT rows per statement run (`VALUES (...), (...), ...`): binding the values
 * costs less than encoding a batch as JSON for SQLite to take apart again with json_each and ->> (SQLite's part of a
 * 100k-member import fell by a third), and one run per 64 rows saves most of the per-call cost of a run per row
 * (profile fields alone: 518 ms per 300k rows one by one, 372 ms 50 at a time).
 */
class MultiRowInsert {
  private readonly db: DatabaseSync;
  private readonly head: string;
  private readonly row: string;
  private readonly tail: string;
  /** By row count: the full chunk, and the remainders batches end with. */
  private readonly statements = new Map<number, StatementSync>();

  constructor(db: DatabaseSync, head: string, row: string, tail: string) {
    this.db = db;
    this.head = head;
    this.row = row;
    this.tail = tail;
  }

  run(rows: readonly SQLInputValue[][]): void {
    // One parameter array, refilled for each statement run: slicing and flattening a copy per run was garbage the
    // import's scavenges then had to walk past the batch's live rows.
    const params: SQLInputValue[] = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const end = Math.min(i + ROWS_PER_INSERT, rows.length);
      params.length = 0;
      for (let r = i; r < end; r += 1) {
        const row = rows[r] as SQLInputValue[];
        for (let c = 0; c < row.length; c += 1) params.push(row[c] as SQLInputValue);
      }
      this.statement(end - i).run(...params);
    }
  }

  private statement(count: number): StatementSync {
    let statement = this.statements.get(count);
    if (!statement) {
      statement = this.db.prepare(`${this.head} ${Array.from({ length: count }, () => this.row).join(', ')} ${this.tail}`);
      this.statements.set(count, statement);
    }
    return statement;
  }
}

const BELONGS_TO_ANOTHER = 'belongs to another member';

export class SqliteMemberImportStore implements MemberImportStore {
  /** The batch is one transaction on one connection, each row a savepoint: rows go one at a time. */
  readonly rowConcurrency = 1;
  private readonly db: DatabaseSync;
  private bulkCache = false;
  private readonly findCheckpointStmt;
  private readonly saveCheckpointStmt;
  private readonly deleteCheckpointStmt;
  private readonly findDataStmt;
  private readonly saveDataStmt;
  private readonly bulk: Record<'accounts' | 'members' | 'fields' | 'entries' | 'data' | 'events', MultiRowInsert>;

  constructor(db: DatabaseSync) {
    this.db = db;
    // The bulk path's writes: the columns the row-by-row path leaves on a new member (accounts.ts, loyalty.ts,
    // profiles.ts, events.ts), with the member's totals written once instead of advanced entry by entry.
    const rows = (table: string, columns: string[], row = `(${columns.map(() => '?').join(', ')})`, tail = '') => new MultiRowInsert(
      db, `INSERT INTO ${table} (${columns.join(', ')}) VALUES`, row, tail,
    );
    this.bulk = {
      accounts: rows('accounts', ['id', 'email', 'email_verified', 'password_hash', 'created_at', 'updated_at', 'phone', 'contact_changed_at']),
      members: rows('loyalty_members', ['account_id', 'member_number', 'enrolment_channel', 'balance', 'lifetime_points', 'last_sequence', 'created_at']),
      fields: rows('profile_fields', ['account_id', 'name', 'value', 'updated_at']),
      entries: rows(
        'ledger_entries',
        ['id', 'account_id', 'sequence', 'kind', 'points', 'balance_after', 'lifetime_after', 'partner_id', 'reason', 'idempotency_key', 'request_hash', 'created_at'],
        "(?, ?, ?, 'adjust', ?, ?, ?, NULL, ?, ?, ?, ?)",
      ),
      data: rows('member_import_data', ['account_id', 'data', 'updated_at']),
      events: rows('events', ['id', 'type', 'time', 'member_id', 'data'], undefined, 'ON CONFLICT (id) DO NOTHING'),
    };
    this.findCheckpointStmt = db.prepare('SELECT key, line, batches, counts, updated_at FROM import_checkpoints WHERE key = ?');
    this.saveCheckpointStmt = db.prepare(`INSERT INTO import_checkpoints (key, line, batches, counts, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET line = excluded.line, batches = excluded.batches, counts = excluded.counts, updated_at = excluded.updated_at`);
    this.deleteCheckpointStmt = db.prepare('DELETE FROM import_checkpoints WHERE key = ?');
    this.findDataStmt = db.prepare('SELECT data FROM member_import_data WHERE account_id = ?');
    this.saveDataStmt = db.prepare(`INSERT INTO member_import_data (account_id, data, updated_at) VALUES (?1, ?2, ?3)
      ON CONFLICT (account_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at WHERE data IS NOT excluded.data`);
  }

  /**
   * The transaction stays open across `work`'s awaits: the repositories on this connection are synchronous behind
   * their promises, so the batch runs without yielding to I/O and nothing else slips into it.
   */
  async inBatch<T>(work: () => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work();
    if (!this.bulkCache) {
      // A bulk import inserts into B-trees with random keys (emails, member numbers, idempotency keys): with SQLite's
      // default 2 MiB page cache nearly every insert reads its leaf page back from the OS. 64 MiB keeps those indexes'
      // upper levels and a batch's leaves resident; bounded, since it counts in the import process's RSS.
      this.db.exec(`PRAGMA cache_size = -${BULK_CACHE_KIB}`);
      this.bulkCache = true;
    }
    // synchronous=NORMAL for the batch's commit only: in WAL mode the commit is then written but not fsync'd, so a
    // killed process loses nothing and a power cut loses at most the last batches whole (their rows and their
    // checkpoint commit together), which the resumed run imports again; every row is idempotent. An fsync per batch
    // is time the import only waits. Other writes on this connection stay FULL (restored below), and their fsync
    // makes the batches before them durable too.
    this.db.exec('PRAGMA synchronous = NORMAL');
    // A multi-row INSERT inside the batch's transaction keeps a statement journal (to undo just that statement), and
    // with the default temp_store each one went to a temporary file: 1.46M pwrite calls for 100k members instead of
    // 0.16M, and as much system CPU time as the multi-row INSERTs saved in user time (a 300k-member import: user 19.1 s,
    // system 6.4 s). In memory, they cost a copy of the few pages each statement touches. Set and restored outside
    // the transaction (SQLite refuses to change it inside one); this store makes no TEMP tables.
    this.db.exec('PRAGMA temp_store = MEMORY');
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work();
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.db.exec('PRAGMA synchronous = FULL');
      this.db.exec('PRAGMA temp_store = DEFAULT');
    }
  }

  async inRow<T>(work: () => Promise<T>): Promise<T> {
    if (!this.db.isTransaction) return work();
    this.db.exec('SAVEPOINT import_row');
    try {
      const result = await work();
      this.db.exec('RELEASE import_row');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK TO import_row; RELEASE import_row');
      throw error;
    }
  }

  async insertNewMembers(members: readonly NewImportMember[], issueNumber: () => string): Promise<NewImportResult[]> {
    if (members.length === 0) return [];
    // Inside the batch's BEGIN IMMEDIATE: nothing else writes between these reads and the inserts below.
    if (!this.db.isTransaction) throw new Error('insertNewMembers runs inside inBatch');
    const { db } = this;
    const emails = presentIn(db, 'accounts', 'email', members.map((m) => m.email));
    const keys = presentIn(db, 'ledger_entries', 'idempotency_key', members.flatMap((m) => m.entries.map((e) => e.idempotencyKey)));
    const numbers = presentIn(db, 'loyalty_members', 'member_number', members.flatMap((m) => (m.memberNumber ? [m.memberNumber] : [])));
    const phones = presentIn(db, 'accounts', 'phone', members.flatMap((m) => (m.phone ? [m.phone] : [])));
    const results = members.map((member): NewImportResult => {
      if (emails.has(member.email) || member.entries.some((entry) => keys.has(entry.idempotencyKey))) return 'existing';
      if (member.memberNumber && numbers.has(member.memberNumber)) return { field: 'member_number', message: BELONGS_TO_ANOTHER };
      if (member.phone && phones.has(member.phone)) return { field: 'phone_number', message: BELONGS_TO_ANOTHER };
      return 'imported';
    });
    const issued = this.issueNumbers(members.filter((member, i) => results[i] === 'imported' && !member.memberNumber).length, issueNumber);

    // Rows per table, each table's written with its one prepared statement instead of a dozen repository calls per
    // member. Each table's rows are sorted by its random key (email, member number, account id, idempotency key), so a
    // batch's inserts walk each index once in order instead of hopping between its pages.
    // No member.profile_updated: the member is created with its profile (member.created says so); the row-by-row
    // path emits one because it writes the profile as an update of an account.
    const accounts: SQLInputValue[][] = [];
    const loyaltyMembers: SQLInputValue[][] = [];
    const fields: SQLInputValue[][] = [];
    const entries: SQLInputValue[][] = [];
    const data: SQLInputValue[][] = [];
    // Outbox rows as insertEvents writes them (ids kept once), made as each event is: the events themselves die young.
    const events: SQLInputValue[][] = [];
    const addEvent = (event: DomainEvent) => {
      events.push([event.id, event.type, event.time.getTime(), event.memberId, JSON.stringify(event.data)]);
    };
    // Entry ids share a per-batch prefix (the rest random): one region of the primary-key index per batch.
    const entryPrefix = randomUUID().slice(0, 9);
    members.forEach((member, i) => {
      if (results[i] !== 'imported') return;
      const now = Date.now();
      const at = new Date(now);
      const { accountId } = member;
      const memberNumber = member.memberNumber ?? (issued.pop() as string);
      assertValidMember({ accountId, memberNumber, enrolmentChannel: member.enrolmentChannel });
      accounts.push([accountId, member.email, member.emailVerified ? 1 : 0, member.passwordHash, now, now, member.phone, member.phone ? now : null]);
      addEvent(memberCreatedEvent({ accountId, memberNumber, enrolmentChannel: member.enrolmentChannel, balance: 0, lifetimePoints: 0, createdAt: at }, 'import'));
      if (member.phone) addEvent(phoneVerifiedEvent(accountId, at));
      for (const [name, value] of Object.entries(member.profile)) fields.push([accountId, name, value, now]);
      const ledger = importedLedger(accountId, member.entries);
      for (const entry of ledger) {
        const id = entryPrefix + randomUUID().slice(9);
        entries.push([id, accountId, entry.sequence, entry.points, entry.balanceAfter, entry.lifetimeAfter, entry.reason, entry.idempotencyKey, entry.requestHash, now]);
        for (const event of ledgerEvents({ ...entry, id, accountId, kind: 'adjust', partnerId: null, createdAt: at })) addEvent(event);
      }
      const last = ledger.at(-1);
      loyaltyMembers.push([accountId, memberNumber, member.enrolmentChannel, last?.balanceAfter ?? 0, last?.lifetimeAfter ?? 0, ledger.length, now]);
      if (member.data) data.push([accountId, JSON.stringify(member.data), now]);
    });
    const byColumn = (column: number) => (a: SQLInputValue[], b: SQLInputValue[]) => ((a[column] as string) < (b[column] as string) ? -1 : 1);
    this.bulk.accounts.run(accounts.sort(byColumn(1)));
    this.bulk.members.run(loyaltyMembers.sort(byColumn(1)));
    this.bulk.fields.run(fields.sort(byColumn(0)));
    this.bulk.entries.run(entries.sort(byColumn(7)));
    this.bulk.data.run(data);
    // The outbox rows of these changes, in the same transaction.
    this.bulk.events.run(events);
    return results;
  }

  /** `count` numbers from the allocator that no member holds yet: the few the store already has are drawn again. */
  private issueNumbers(count: number, issueNumber: () => string): string[] {
    const free: string[] = [];
    let wanted = count;
    while (wanted > 0) {
      const drawn = Array.from({ length: wanted }, issueNumber);
      const held = presentIn(this.db, 'loyalty_members', 'member_number', drawn);
      for (const number of drawn) if (!held.has(number)) free.push(number);
      wanted = count - free.length;
    }
    return free;
  }

  async findCheckpoint(key: string): Promise<ImportCheckpoint | undefined> {
    const row = this.findCheckpointStmt.get(key);
    if (!row) return undefined;
    return {
      key: text(row, 'key'),
      line: integer(row, 'line'),
      batches: integer(row, 'batches'),
      counts: JSON.parse(text(row, 'counts')) as ImportCounts,
      updatedAt: new Date(integer(row, 'updated_at')),
    };
  }

  async saveCheckpoint(checkpoint: ImportCheckpoint): Promise<void> {
    this.saveCheckpointStmt.run(checkpoint.key, checkpoint.line, checkpoint.batches, JSON.stringify(checkpoint.counts), checkpoint.updatedAt.getTime());
  }

  async deleteCheckpoint(key: string): Promise<void> {
    this.deleteCheckpointStmt.run(key);
  }

  async findMemberData(accountId: string): Promise<MemberImportData | undefined> {
    const row = this.findDataStmt.get(accountId);
    return row ? (JSON.parse(text(row, 'data')) as MemberImportData) : undefined;
  }

  async saveMemberData(accountId: string, data: MemberImportData): Promise<boolean> {
    return Number(this.saveDataStmt.run(accountId, JSON.stringify(data), Date.now()).changes) > 0;
  }

  async createJob(job: ImportJob): Promise<void> {
    this.db.prepare('INSERT INTO import_jobs (id, state, format, size, counts, line, error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(job.id, job.state, job.format, job.size, JSON.stringify(job.counts), job.line, job.error, job.createdAt.getTime(), job.updatedAt.getTime());
  }

  async findJob(id: string): Promise<ImportJob | undefined> {
    const row = this.db.prepare('SELECT * FROM import_jobs WHERE id = ?').get(id);
    return row ? toJob(row) : undefined;
  }

  async updateJob(id: string, patch: Pick<ImportJob, 'state' | 'counts' | 'line' | 'error' | 'updatedAt'>): Promise<void> {
    this.db.prepare('UPDATE import_jobs SET state = ?, counts = ?, line = ?, error = ?, updated_at = ? WHERE id = ?')
      .run(patch.state, JSON.stringify(patch.counts), patch.line, patch.error, patch.updatedAt.getTime(), id);
  }

  async listRunningJobs(): Promise<ImportJob[]> {
    return this.db.prepare("SELECT * FROM import_jobs WHERE state = 'running' ORDER BY created_at").all().map(toJob);
  }

  async addRowErrors(jobId: string, errors: readonly ImportRowErrorRecord[]): Promise<void> {
    const insert = this.db.prepare('INSERT OR IGNORE INTO import_row_errors (job_id, line, field, message) VALUES (?, ?, ?, ?)');
    for (const error of errors) insert.run(jobId, error.line, error.field, error.message);
  }

  async listRowErrors(jobId: string, afterLine: number, limit: number): Promise<ImportRowErrorRecord[]> {
    return this.db.prepare('SELECT line, field, message FROM import_row_errors WHERE job_id = ? AND line > ? ORDER BY line LIMIT ?')
      .all(jobId, afterLine, limit)
      .map((row) => ({ line: integer(row, 'line'), field: text(row, 'field'), message: text(row, 'message') }));
  }
}
