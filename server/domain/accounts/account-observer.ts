// Metrics seams of the account service: sign-ups counted and argon2 time measured, neither ever able to fail a
// sign-up or a sign-in (an observer that throws is ignored).
import type { EnrolmentChannel } from '../loyalty/loyalty.repository.ts';

export interface AccountObserver {
  /** A sign-up created a new account (not a repeat of an existing address). */
  signedUp(channel: EnrolmentChannel): void;
  /** One argon2 hash or verification took `seconds`. */
  kdf(operation: 'hash' | 'verify', seconds: number): void;
}

export function observeSignUp(observer: Pick<AccountObserver, 'signedUp'> | undefined, channel: EnrolmentChannel): void {
  try {
    observer?.signedUp(channel);
  } catch {
    // metrics only
  }
}

/** Runs one argon2 operation and reports its time to the observer, if there is one. */
export async function timedKdf<T>(observer: AccountObserver | undefined, operation: 'hash' | 'verify', work: () => Promise<T>): Promise<T> {
  if (!observer) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    try {
      observer.kdf(operation, (performance.now() - started) / 1000);
    } catch {
      // metrics only
    }
  }
}
