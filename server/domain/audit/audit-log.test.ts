// AuditLog on a real (in-memory SQLite) store: what it keeps of an input (cut, filtered, never a secret), that
// record() never throws nor hangs on a failing store, signed paging cursors, sign-in history and retention.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { openSqliteStorage } from '../../../adapters/sqlite/index.ts';
import type { Storage } from '../storage.ts';
import { AuditLog, type AuditInput } from './audit-log.ts';
import type { AuditEvent, AuditRepository } from './audit.repository.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;

describe('AuditLog', () => {
  let storage: Storage;
  let lines: string[];
  const logger = () => pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  const log = (repository: AuditRepository = storage.audit, extra: { writeWaitMs?: number; cursorKey?: Buffer } = {}) =>
    new AuditLog({ repository, logger: logger(), cursorKey: extra.cursorKey ?? Buffer.alloc(32, 7), now: () => NOW, writeWaitMs: extra.writeWaitMs });

  beforeEach(async () => {
    storage = await openSqliteStorage({ dataDir: ':memory:' });
    lines = [];
  });
  afterEach(async () => storage.close());

  async function recorded(input: AuditInput): Promise<AuditEvent> {
    const accountId = input.accountId ?? randomUUID();
    await log().record({ ...input, accountId });
    const [event] = await storage.audit.list({ accountId, limit: 10 });
    if (!event) throw new Error('nothing recorded');
    return event;
  }

  it('keeps a plain event as given, with a random id and `at` defaulting to now', async () => {
    const accountId = randomUUID();
    const event = await recorded({
      type: 'sign_in.failure', accountId, ip: '203.0.113.9', userAgent: 'Mozilla/5.0', country: 'fr', reason: 'wrong_password',
      details: { method: 'password', attempt: 3, remembered: false, risk: null },
    });
    expect(event).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), type: 'sign_in.failure', at: NOW, accountId, ip: '203.0.113.9', userAgent: 'Mozilla/5.0',
      country: 'FR', reason: 'wrong_password', details: { method: 'password', attempt: 3, remembered: false, risk: null },
    });
    const other = await recorded({ type: 'sign_in.failure', at: new Date(1234) });
    expect(other.at).toEqual(new Date(1234));
    expect(other.id).not.toBe(event.id);
    expect(other).toMatchObject({ ip: null, userAgent: null, country: null, reason: null, details: {} });
  });

  it('cuts the user agent and reason to size and keeps only safe characters in the reason', async () => {
    const long = await recorded({ type: 'sign_in.success', userAgent: `UA\u0000\n${'a'.repeat(300)}`, reason: `r${'x'.repeat(100)}` });
    expect(long.userAgent).toBe(`UA${'a'.repeat(254)}`);
    expect(long.reason).toBe(`r${'x'.repeat(63)}`);
    expect((await recorded({ type: 'sign_in.failure', reason: 'bad <x@y.com>; DROP' })).reason).toBe('bad _x_y.com__ DROP');
    expect((await recorded({ type: 'admin.action', reason: 'PUT /admin/clients/:id' })).reason).toBe('PUT /admin/clients/:id');
    // Never half a surrogate pair at the cut.
    expect((await recorded({ type: 'sign_in.success', userAgent: `${'a'.repeat(255)}😀` })).userAgent).toBe('a'.repeat(255));
  });

  it('keeps no unparseable address and no country that is not two letters', async () => {
    expect(await recorded({ type: 'sign_in.success', ip: '2001:db8::7', country: 'GB' })).toMatchObject({ ip: '2001:db8::7', country: 'GB' });
    expect(await recorded({ type: 'sign_in.success', ip: '10.0.0.1, 203.0.113.1', country: 'GBR' })).toMatchObject({ ip: null, country: null });
    expect(await recorded({ type: 'sign_in.success', ip: '', country: '' })).toMatchObject({ ip: null, country: null });
  });

  it('drops detail keys that may name a secret, reduces and cuts the others, and keeps at most 20', async () => {
    const secrets = {
      password: 'hunter2', new_password: 'hunter3', passcode: '1', otp: '123456', totpCode: '654321', code: '111111', recovery_code: 'r',
      client_secret: 's3cr3t', accessToken: 'tok', refresh_token: 'rt', Cookie: 'sid=1', 'x-session-cookie': 'c', 'pass-word': 'p', 'token.id': 't',
    };
    const event = await recorded({
      type: 'factor.added',
      details: {
        ...secrets,
        'factor.kind': 'totp',
        'a key that is far too long to be kept whole by anyone': 1,
        '$where': 'x',
        ['__proto__']: 'polluted',
        '...': 'no letters',
        label: 'v'.repeat(300),
        ratio: Number.NaN,
        big: Number.POSITIVE_INFINITY,
        gone: undefined,
        nested: { a: 1 } as unknown as string,
      },
    });
    expect(event.details).toEqual({
      factor_kind: 'totp',
      a_key_that_is_far_too_long_to_be_kept_wh: 1,
      _where: 'x',
      label: 'v'.repeat(200),
      ratio: null,
      big: null,
    });
    expect(Object.getPrototypeOf(event.details)).toBe(Object.prototype);
    const stored = JSON.stringify(await storage.audit.list({ limit: 500 }));
    for (const value of Object.values(secrets)) expect(stored).not.toContain(`"${value}"`);

    const many = await recorded({ type: 'redemption', details: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])) });
    expect(Object.keys(many.details)).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`));
  });

  it('never throws when the store rejects: logs type and account at error level, without details', async () => {
    const failing: AuditRepository = {
      append: () => Promise.reject(Object.assign(new Error('disk full at "sensitive-value"'), { code: 'SQLITE_FULL' })),
      list: () => Promise.resolve([]),
      deleteBefore: () => Promise.resolve(0),
    };
    const accountId = randomUUID();
    await expect(log(failing).record({ type: 'sign_in.success', accountId, details: { method: 'sensitive-value' } })).resolves.toBeUndefined();
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toEqual([expect.objectContaining({ level: 50, type: 'sign_in.success', accountId, error: 'Error SQLITE_FULL', msg: 'audit event not recorded' })]);
    expect(lines.join('\n')).not.toContain('sensitive-value');

    const throwing: AuditRepository = { ...failing, append: () => { throw new Error('sync failure'); } };
    await expect(log(throwing).record({ type: 'sign_in.failure' })).resolves.toBeUndefined();
    await expect(log().record({ type: 'not.a.type' as AuditInput['type'] })).resolves.toBeUndefined();
    expect(lines).toHaveLength(3);
  });

  it('does not hold the caller when the store hangs', async () => {
    const hanging: AuditRepository = { append: () => new Promise(() => undefined), list: async () => [], deleteBefore: async () => 0 };
    await expect(log(hanging, { writeWaitMs: 5 }).record({ type: 'sign_in.success' })).resolves.toBeUndefined();
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 50, type: 'sign_in.success', msg: expect.stringMatching(/slow/) });
  });

  it('pages newest first behind a signed cursor; next is null exactly on the last page', async () => {
    const audit = log();
    const accountId = randomUUID();
    for (let i = 0; i < 7; i += 1) await audit.record({ type: 'sign_in.success', accountId, at: new Date(1000 + i) });
    const first = await audit.list({ accountId, limit: 3 });
    expect(first.events.map((e) => e.at.getTime())).toEqual([1006, 1005, 1004]);
    const second = await audit.list({ accountId, limit: 3, before: first.next! });
    expect(second.events.map((e) => e.at.getTime())).toEqual([1003, 1002, 1001]);
    const last = await audit.list({ accountId, limit: 3, before: second.next! });
    expect(last).toEqual({ events: [expect.objectContaining({ at: new Date(1000) })], next: null });
    expect((await audit.list({ accountId, limit: 7 })).next).toBeNull();
    expect((await audit.list({ accountId, limit: 6 })).next).toEqual(expect.any(String));

    for (const cursor of ['', 'garbage', `${first.next!}x`, first.next!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), `${Buffer.from('1.x').toString('base64url')}.${'A'.repeat(22)}`]) {
      await expect(audit.list({ accountId, limit: 3, before: cursor })).rejects.toMatchObject({ code: 'invalid_input', details: { fields: { before: expect.any(String) } } });
    }
    // Signed with another key (another deployment): refused as well.
    await expect(log(storage.audit, { cursorKey: Buffer.alloc(32, 8) }).list({ accountId, limit: 3, before: first.next! })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('tells whether more exist past a full page of the maximum size', async () => {
    const audit = log();
    const accountId = randomUUID();
    for (let i = 0; i < 500; i += 1) await storage.audit.append({ id: randomUUID(), type: 'sign_in.failure', at: new Date(i), accountId, ip: null, userAgent: null, country: null, reason: null, details: {} });
    expect((await audit.list({ accountId, limit: 500 })).next).toBeNull();
    await audit.record({ type: 'sign_in.failure', accountId, at: new Date(500) });
    const full = await audit.list({ accountId, limit: 500 });
    expect(full.events).toHaveLength(500);
    expect((await audit.list({ accountId, limit: 500, before: full.next! })).events).toEqual([expect.objectContaining({ at: new Date(0) })]);
  });

  it('gives a member their own sign-in outcomes only, newest first', async () => {
    const audit = log();
    const [me, someone] = [randomUUID(), randomUUID()];
    await audit.record({ type: 'sign_in.success', accountId: me, at: new Date(1) });
    await audit.record({ type: 'factor.added', accountId: me, at: new Date(2) });
    await audit.record({ type: 'sign_in.blocked', accountId: me, at: new Date(3) });
    await audit.record({ type: 'sign_in.failure', accountId: someone, at: new Date(4) });
    expect((await audit.signInHistory(me, 10)).map((e) => e.type)).toEqual(['sign_in.blocked', 'sign_in.success']);
    expect(await audit.signInHistory(me, 1)).toHaveLength(1);
  });

  it('deletes events older than the retention, and refuses a retention outside 1-3650 days', async () => {
    const audit = log();
    const accountId = randomUUID();
    for (const age of [401, 400.5, 399]) await audit.record({ type: 'sign_in.success', accountId, at: new Date(NOW.getTime() - age * DAY) });
    expect(await audit.deleteOlderThan(400)).toBe(2);
    expect(await audit.signInHistory(accountId, 10)).toEqual([expect.objectContaining({ at: new Date(NOW.getTime() - 399 * DAY) })]);
    for (const days of [0, 3651, 1.5, Number.NaN]) await expect(audit.deleteOlderThan(days)).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
