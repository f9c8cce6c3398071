// Port: one-time codes (email verification, password reset): hashed, expiring, single use, few tries.
export type CodePurpose = 'email_verification' | 'password_reset' | 'step_up_email' | 'step_up_sms' | 'sign_in' | 'sms_sign_in' | 'phone_verification' | 'totp_attempts' | 'webauthn_registration' | 'webauthn_authentication' | 'card_claim' | 'email_change' | 'member_merge' | 'phone_sign_up';

export interface OneTimeCode {
  purpose: CodePurpose;
  /** Whom the code is for (an account id). One live code per (purpose, subject). */
  subject: string;
  /** HMAC-SHA256 of the code, hex; the code itself is never stored. */
  codeHash: string;
  attempts: number;
  expiresAt: Date;
  consumedAt: Date | null;
  /** When the code was last sent, for the resend cooldown. */
  sentAt: Date;
  /** Free-form data carried with the code (e.g. a pending password hash); opaque to the store. */
  data: Record<string, string> | null;
}

export interface CodesRepository {
  /** Replaces any previous code for (purpose, subject), resetting attempts and consumption. */
  put(code: OneTimeCode): Promise<void>;
  find(purpose: CodePurpose, subject: string): Promise<OneTimeCode | undefined>;
  /** Atomically adds one failed attempt; returns the new count (0 when there is no code). */
  recordFailure(purpose: CodePurpose, subject: string): Promise<number>;
  /**
   * Atomically marks the code consumed if it is still unconsumed, has this hash, has fewer than
   * `maxAttempts` attempts and has not expired at `now`. Returns whether this call consumed it, so
   * two concurrent submissions of the right code succeed once.
   */
  consume(purpose: CodePurpose, subject: string, codeHash: string, maxAttempts: number, now: Date): Promise<boolean>;
  delete(purpose: CodePurpose, subject: string): Promise<void>;
  /**
   * Deletes codes (of every purpose) that expired before `before`, with what is kept beside them; returns how
   * many. The sweeper passes a day ago, so a member is still told "expired" rather than "wrong" for a while.
   */
  sweepExpired(before: Date): Promise<number>;
}
