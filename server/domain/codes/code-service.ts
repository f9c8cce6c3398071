// One-time codes: 6 digits, 10 minutes, single use, dead after 5 wrong tries, resend cooldown.
import { constantTimeEqual, hashCode, randomDigits } from '../../security/crypto.ts';
import type { CodePurpose, CodesRepository } from './codes.repository.ts';

export const CODE_TTL_SECONDS = 10 * 60;
export const CODE_MAX_ATTEMPTS = 5;

export type CodeCheck =
  | { ok: true; data: Record<string, string> | null }
  | { ok: false; reason: 'code.invalid' | 'code.expired' | 'code.exhausted' };

export type CodeIssue = { ok: true; code: string } | { ok: false; retryAfterSeconds: number };

export class CodeService {
  private readonly codes: CodesRepository;
  private readonly hashKey: Buffer;
  private readonly cooldownSeconds: number;
  private readonly now: () => Date;

  constructor(codes: CodesRepository, hashKey: Buffer, cooldownSeconds: number, now: () => Date = () => new Date()) {
    this.codes = codes;
    this.hashKey = hashKey;
    this.cooldownSeconds = cooldownSeconds;
    this.now = now;
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
    if (!constantTimeEqual(stored.codeHash, candidate)) {
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
}
