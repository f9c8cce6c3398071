// TotpFactor with a controlled clock on a real (in-memory SQLite) store: the attempt lock lifts after
// 15 minutes, codes outside ±30 s fail, abandoned enrolments are replaced, recovery codes regenerate.
import { openSqliteStorage } from '../../../adapters/sqlite/index.ts';
import type { Account } from '../accounts/account.ts';
import type { Storage } from '../storage.ts';
import { base32Decode, hotp, totpStep } from './totp.ts';
import { FACTOR_MAX_ATTEMPTS, TotpFactor } from './totp-factor.ts';

describe('TotpFactor', () => {
  let storage: Storage;
  let clock: Date;
  let factor: TotpFactor;
  let account: Account;

  beforeEach(async () => {
    storage = await openSqliteStorage({ dataDir: ':memory:' });
    clock = new Date('2026-11-23T12:00:00Z');
    factor = new TotpFactor({
      factors: storage.factors, codes: storage.codes, sealKey: Buffer.alloc(32, 1), hashKey: Buffer.alloc(32, 2), issuer: 'idp.example', now: () => clock,
    });
    account = await storage.accounts.create({ email: `m${Date.now()}@example.com`, emailVerified: true, passwordHash: null });
  });
  afterEach(async () => storage.close());

  const codeAt = (key: string, at: Date, offsetSteps = 0) => hotp(base32Decode(key), totpStep(at) + offsetSteps);
  const advance = (seconds: number) => { clock = new Date(clock.getTime() + seconds * 1000); };

  async function enrolled() {
    const pending = await factor.startEnrolment(account);
    const result = await factor.confirmEnrolment(account, pending.factorId, codeAt(pending.manualKey, clock));
    if (!result.ok) throw new Error('enrolment failed');
    return { key: pending.manualKey, recoveryCodes: result.recoveryCodes };
  }

  it('stores the secret sealed, never in clear', async () => {
    const pending = await factor.startEnrolment(account);
    const [stored] = await storage.factors.listByAccount(account.id);
    expect(stored!.secret).toMatch(/^v1\./);
    expect(stored!.secret).not.toContain(pending.manualKey.replace(/ /g, ''));
    expect(pending.uri).toContain('issuer=idp.example');
  });

  it('refuses codes two steps away (60 s of drift) and accepts one step either side', async () => {
    const { key } = await enrolled();
    advance(120);
    expect(await factor.verify(account.id, codeAt(key, clock, -2))).toEqual({ ok: false, reason: 'code.invalid' });
    expect(await factor.verify(account.id, codeAt(key, clock, 2))).toEqual({ ok: false, reason: 'code.invalid' });
    expect(await factor.verify(account.id, codeAt(key, clock, -1))).toEqual({ ok: true });
    expect(await factor.verify(account.id, codeAt(key, clock, 1))).toEqual({ ok: true });
  });

  it('locks app and recovery codes after five failures, for 15 minutes, then accepts again', async () => {
    const { key, recoveryCodes } = await enrolled();
    advance(60);
    for (let i = 0; i < FACTOR_MAX_ATTEMPTS; i += 1) expect((await factor.verify(account.id, '000000')).ok).toBe(false);
    expect(await factor.verify(account.id, codeAt(key, clock))).toEqual({ ok: false, reason: 'code.exhausted' });
    expect(await factor.useRecoveryCode(account.id, recoveryCodes[0]!)).toEqual({ ok: false, reason: 'code.exhausted' });
    advance(15 * 60 + 1);
    expect(await factor.verify(account.id, codeAt(key, clock))).toEqual({ ok: true });
    expect(await factor.useRecoveryCode(account.id, recoveryCodes[0]!)).toEqual({ ok: true });
  });

  it('a success resets the failure count', async () => {
    const { key } = await enrolled();
    advance(60);
    for (let i = 0; i < FACTOR_MAX_ATTEMPTS - 1; i += 1) await factor.verify(account.id, '000000');
    expect(await factor.verify(account.id, codeAt(key, clock))).toEqual({ ok: true });
    advance(60);
    for (let i = 0; i < FACTOR_MAX_ATTEMPTS - 1; i += 1) await factor.verify(account.id, '000000');
    expect(await factor.verify(account.id, codeAt(key, clock))).toEqual({ ok: true });
  });

  it('restarting enrolment replaces the unfinished one; a confirmed factor is not enrolled twice over', async () => {
    const first = await factor.startEnrolment(account);
    const second = await factor.startEnrolment(account);
    expect(await factor.pendingEnrolment(account, first.factorId)).toBeUndefined();
    expect(await factor.confirmEnrolment(account, first.factorId, codeAt(first.manualKey, clock))).toEqual({ ok: false, reason: 'code.invalid' });
    expect((await factor.confirmEnrolment(account, second.factorId, codeAt(second.manualKey, clock))).ok).toBe(true);
    expect(await factor.confirmEnrolment(account, second.factorId, codeAt(second.manualKey, clock, 1))).toEqual({ ok: false, reason: 'code.invalid' });
  });

  it('new recovery codes replace the old ones', async () => {
    const { recoveryCodes } = await enrolled();
    expect(await factor.recoveryCodesLeft(account.id)).toBe(10);
    const fresh = await factor.regenerateRecoveryCodes(account.id);
    expect((await factor.useRecoveryCode(account.id, recoveryCodes[0]!)).ok).toBe(false);
    expect((await factor.useRecoveryCode(account.id, fresh[0]!)).ok).toBe(true);
    expect(await factor.recoveryCodesLeft(account.id)).toBe(9);
  });

  it("another account's pending enrolment cannot be confirmed or read", async () => {
    const other = await storage.accounts.create({ email: `o${Date.now()}@example.com`, emailVerified: true, passwordHash: null });
    const pending = await factor.startEnrolment(other);
    expect(await factor.pendingEnrolment(account, pending.factorId)).toBeUndefined();
    expect(await factor.confirmEnrolment(account, pending.factorId, codeAt(pending.manualKey, clock))).toEqual({ ok: false, reason: 'code.invalid' });
  });
});
