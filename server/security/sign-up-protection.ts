// Fake-account defences at sign-up: velocity per address and per browser, and the bot challenge once an
// address signs up more than a person would (or while credential stuffing is under way).
import type { LimitRule, RateLimitStore } from './rate-limit/rate-limiter.ts';

export interface SignUpRules {
  perAddress: LimitRule;
  perDevice: LimitRule;
  /** From this many sign-ups in the address's window on, the bot challenge comes first. */
  challengeAfter: number;
  /** Sign-ups a challenged address may still make from a browser without JavaScript (no challenge solved). */
  noScriptPerAddress: LimitRule;
}

export type SignUpGate = { kind: 'open' } | { kind: 'blocked'; retryAfterSeconds: number } | { kind: 'challenge' };

export class SignUpProtection {
  private readonly perAddress;
  private readonly perDevice;
  private readonly challengeAfter: number;
  private readonly noScript;
  private readonly underBurst: () => Promise<boolean>;

  constructor(store: RateLimitStore, rules: SignUpRules, underBurst: () => Promise<boolean>) {
    this.perAddress = store.limiter(rules.perAddress);
    this.perDevice = store.limiter(rules.perDevice);
    this.challengeAfter = rules.challengeAfter;
    this.noScript = store.limiter(rules.noScriptPerAddress);
    this.underBurst = underBurst;
  }

  /** Whether the sign-up page should carry the bot challenge from the start. */
  async challengeExpected(ip: string): Promise<boolean> {
    const [address, burst] = await Promise.all([this.perAddress.peek(ip), this.underBurst()]);
    return address.consumed >= this.challengeAfter || burst;
  }

  /**
   * For a well-formed sign-up: asks for the challenge when due, else takes one sign-up from the address's
   * and the browser's allowance (taken before the account is made, so parallel sign-ups count too).
   */
  async gate(attempt: { ip: string; deviceHash: string }, solved: boolean, noScript = false): Promise<SignUpGate> {
    if (!solved && (await this.challengeExpected(attempt.ip))) {
      // A browser without scripts says so (a field inside <noscript>): it goes on within the small no-script
      // allowance (the velocity limits below still apply); a script claiming the same gets no further.
      if (!noScript || !(await this.noScript.consume(attempt.ip)).allowed) return { kind: 'challenge' };
    }
    const [address, device] = await Promise.all([this.perAddress.consume(attempt.ip), this.perDevice.consume(attempt.deviceHash)]);
    if (address.allowed && device.allowed) return { kind: 'open' };
    return { kind: 'blocked', retryAfterSeconds: Math.max(address.retryAfterSeconds, device.retryAfterSeconds) };
  }
}
