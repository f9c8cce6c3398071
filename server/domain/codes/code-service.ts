// One-time codes: 6 digits, 10 minutes, single use, dead after 5 wrong tries, resend cooldown, and a daily
// budget per account and purpose of codes issued and of wrong tries (issue 14 item 7).
import { createHmac } from 'node:crypto';
import { constantTimeEqual, hashCode, randomDigits } from '../../security/crypto.ts';
import type { RateLimiter, RateLimitStore } from '../../security/rate-limit/rate-limiter.ts';
import type { SecurityEvents } from '../../security/security-events.ts';
import { DomainError } from '../errors.ts';
import type { CodePurpose, CodesRepository } from './codes.repository.ts';

export const CODE_TTL_SECONDS = 10 * 60;
export const CODE_MAX_ATTEMPTS = 5;

export type CodeCheck =
  | { ok: true; data: Record<string, string> | null }
  | { ok: false; reason: 'code.invalid' | 'code.expired' | 'code.exhausted' };

export type CodeIssue = { ok: true; code: string } | { ok: false; retryAfterSeconds: number };

/**
 * Without a daily budget a new code every cooldown with 5 tries each gives thousands of guesses a day at one
 * account's code. The budget counts per (purpose, subject) in the rate-limit store, so every process shares it.
 */
export interface CodeBudget {
  store: RateLimitStore;
  /** Codes one subject may be issued per purpose in 24 hours. */
  codesPerDay: number;
  /** Wrong codes one subject may submit per purpose in 24 hours (whichever codes they were for). */
  failuresPerDay: number;
  /** Where spent budgets are audited. */
  events: SecurityEvents;
}

const DAY_SECONDS = 24 * 60 * 60;
/** What subjects for an unknown email or number start with (account ids never contain a colon). */
const NOBODY = 'nobody:';

export class CodeService {
  private readonly codes: CodesRepository;
  private readonly hashKey: Buffer;
  private readonly cooldownSeconds: number;
  private readonly now: () => Date;
  private readonly budget: { issued: RateLimiter; failed: RateLimiter; events: SecurityEvents } | undefined;

  constructor(codes: CodesRepository, hashKey: Buffer, cooldownSeconds: number, now: () => Date = () => new Date(), budget?: CodeBudget) {
    this.codes = codes;
    this.hashKey = hashKey;
    this.cooldownSeconds = cooldownSeconds;
    this.now = now;
    this.budget = budget && {
      issued: budget.store.limiter({ name: 'codes-issued-daily', points: budget.codesPerDay, durationSeconds: DAY_SECONDS }),
      failed: budget.store.limiter({ name: 'code-failures-daily', points: budget.failuresPerDay, durationSeconds: DAY_SECONDS }),
      events: budget.events,
    };
  }

  /**
   * The subject codes for `identifier` (a normalised email or E.164 number) live under when no account answers
   * to it: flows that must not reveal members issue, cool down, count and verify a code for a stranger exactly
   * as for a member (the code just goes nowhere), so no answer, wait or budget tells them apart.
   */
  subjectFor(accountId: string | undefined, identifier: string): string {
    if (accountId !== undefined) return accountId;
    return NOBODY + createHmac('sha256', this.hashKey).update('nobody\0').update(identifier).digest('base64url');
  }

  /** Seconds until a new code may be sent (0 when allowed). */
  async cooldownRemaining(purpose: CodePurpose, subject: string): Promise<number> {
    const existing = await this.codes.find(purpose, subject);
    if (!existing || existing.consumedAt) return 0;
    const elapsed = (this.now().getTime() - existing.sentAt.getTime()) / 1000;
    return Math.max(0, Math.ceil(this.cooldownSeconds - elapsed));
  }

  /** Creates a fresh code (replacing any earlier one) unless the cooldown has not passed. */
  async issue(purpose: CodePurpose, subject: string, data: Record<string, string> | null = null, options: { ignoreCooldown?: boolean } = {}): Promise<CodeIssue> {
    if (!options.ignoreCooldown) {
      const wait = await this.cooldownRemaining(purpose, subject);
      if (wait > 0) return { ok: false, retryAfterSeconds: wait };
    }
    await this.spend('issued', purpose, subject);
    const code = randomDigits(6);
    const now = this.now();
    await this.codes.put({
      purpose,
      subject,
      codeHash: hashCode(this.hashKey, purpose, subject, code),
      attempts: 0,
      expiresAt: new Date(now.getTime() + CODE_TTL_SECONDS * 1000),
      consumedAt: null,
      sentAt: now,
      data,
    });
    return { ok: true, code };
  }

  /** Checks and, when right, consumes the code. Wrong, expired, used-up and missing codes never succeed. */
  async verify(purpose: CodePurpose, subject: string, code: string): Promise<CodeCheck> {
    const stored = await this.codes.find(purpose, subject);
    const now = this.now();
    const candidate = hashCode(this.hashKey, purpose, subject, code);
    if (!stored || stored.consumedAt) {
      return { ok: false, reason: 'code.invalid' };
    }
    if (stored.attempts >= CODE_MAX_ATTEMPTS) return { ok: false, reason: 'code.exhausted' };
    if (stored.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'code.expired' };
    // A spent budget refuses even the right code: otherwise the last guesses of the day stay free.
    await this.checkFailures(purpose, subject);
    if (!constantTimeEqual(stored.codeHash, candidate)) {
      await this.spend('failed', purpose, subject);
      const attempts = await this.codes.recordFailure(purpose, subject);
      return { ok: false, reason: attempts >= CODE_MAX_ATTEMPTS ? 'code.exhausted' : 'code.invalid' };
    }
    // The conditional consume is what makes the code single-use under concurrent submissions.
    const consumed = await this.codes.consume(purpose, subject, candidate, CODE_MAX_ATTEMPTS, now);
    return consumed ? { ok: true, data: stored.data } : { ok: false, reason: 'code.invalid' };
  }

  /** The data carried by the live code (unconsumed, unexpired), without counting as a try. */
  async peekData(purpose: CodePurpose, subject: string): Promise<Record<string, string> | undefined> {
    const stored = await this.codes.find(purpose, subject);
    if (!stored || stored.consumedAt || stored.expiresAt.getTime() <= this.now().getTime()) return undefined;
    return stored.data ?? undefined;
  }

  async discard(purpose: CodePurpose, subject: string): Promise<void> {
    await this.codes.delete(purpose, subject);
  }

  /** Refuses (429 with the wait) once the subject's wrong tries for this purpose are spent for the day. */
  private async checkFailures(purpose: CodePurpose, subject: string): Promise<void> {
    if (!this.budget) return;
    const state = await this.budget.failed.peek(budgetKey(purpose, subject));
    if (!state.allowed) throw tooMany('code.too_many_tries', state.retryAfterSeconds);
  }

  /**
   * Takes one point of the day's budget: an issue past it is refused (429 with the wait); a wrong try past it
   * still counts as wrong (the next try is refused). The moment a budget runs out is audited, once a day.
   */
  private async spend(kind: 'issued' | 'failed', purpose: CodePurpose, subject: string): Promise<void> {
    if (!this.budget) return;
    const limiter = this.budget[kind];
    const result = await limiter.consume(budgetKey(purpose, subject));
    const spentNow = result.consumed === limiter.rule.points + (kind === 'issued' ? 1 : 0);
    if (spentNow) {
      await this.budget.events.record({
        type: 'code.budget_exhausted',
        accountId: subject.startsWith(NOBODY) ? null : subject,
        reason: kind === 'issued' ? 'codes_per_day' : 'failures_per_day',
        details: { purpose, limit: limiter.rule.points },
      });
    }
    if (kind === 'issued' && !result.allowed) throw tooMany('code.too_many_codes', result.retryAfterSeconds);
  }
}

function budgetKey(purpose: CodePurpose, subject: string): string {
  return `${purpose}\0${subject}`;
}

function tooMany(messageId: 'code.too_many_codes' | 'code.too_many_tries', retryAfterSeconds: number): DomainError {
  return new DomainError('rate_limited', 'one-time code budget for the day is spent', { details: { retryAfterSeconds, messageId } });
}
