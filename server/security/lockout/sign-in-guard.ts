// Brute force and credential stuffing at sign-in: counters per (email, address) pair, per email, per
// address and across the program, read before the password is checked and written after a failure.
// Nothing here is a hard lockout an attacker can trigger at will: a busy email or address is answered
// with a bot challenge (and, for the email, an unlock link to its owner), and devices the member
// signed in on before are never challenged.
import type { LimitRule, RateLimiter, RateLimitStore } from '../rate-limit/rate-limiter.ts';

export interface SignInRules {
  /**
   * Failures of one (email, address) pair in a window, a success resets it; the attempt after the last
   * point starts the rule's block (rate-limiter-flexible's own, so no reset ever races the count).
   */
  pair: LimitRule;
  /** Failures of one email from anywhere in an hour: past it, unrecognised devices need extra proof. */
  account: LimitRule;
  /** Failures from one address in a day: past it, password sign-ins from it are refused. */
  address: LimitRule;
  /** Stuffing from one address: each (address, email) pair counted once, then the distinct emails per address. */
  addressAccount: LimitRule;
  addressAccounts: LimitRule;
  addressFlag: LimitRule;
  /** Stuffing from many addresses: failures, failures naming no account, and distinct addresses in a burst window. */
  burstFailures: LimitRule;
  burstUnknown: LimitRule;
  burstAddress: LimitRule;
  burstAddresses: LimitRule;
  burstFlag: LimitRule;
  /**
   * Password spraying (one password tried against many real accounts, from anywhere): each (password tag, email)
   * pair counted once, then the distinct accounts per tag; past the threshold it raises burstFlag, the same
   * answer as a stuffing burst. The tag is a keyed hash of the password (SignInProtection), never the password.
   */
  sprayAccount: LimitRule;
  sprayAccounts: LimitRule;
  /** Thresholds of the stuffing and spraying flags (the counters above have no limit of their own). */
  stuffing: { accountsPerAddress: number; burstFailures: number; burstAddresses: number; unknownPercent: number; sprayAccounts: number };
}

export interface SignInAttempt {
  /** Normalised email as typed (an unknown one is counted like a known one, so counting reveals nothing). */
  email: string;
  ip: string;
}

export type SignInGate =
  | { kind: 'open' }
  | { kind: 'blocked'; scope: 'pair' | 'address'; retryAfterSeconds: number }
  /** `account`: the email is under attack — a bot challenge and an emailed unlock link for this device. */
  | { kind: 'challenge'; scope: 'account' | 'address' | 'everyone' };

export interface FailureOutcome {
  /** This failure blocked the pair (the owner may be told once). */
  pairBlocked: boolean;
  /** This failure put the email over its hourly limit (the owner may be told once). */
  accountProtected: boolean;
  /** This failure flagged the address, or the whole program, as a credential-stuffing source. */
  addressFlagged: boolean;
  burstFlagged: boolean;
  /** This failure showed one password failing for many accounts (the flag is the burst's). */
  sprayFlagged: boolean;
}

type Limiters = { [K in Exclude<keyof SignInRules, 'stuffing'>]: RateLimiter };

const EVERYONE = '*';
const pairKey = (attempt: SignInAttempt) => `${attempt.email}\n${attempt.ip}`;

export class SignInGuard {
  private readonly limit: Limiters;
  private readonly stuffing: SignInRules['stuffing'];

  constructor(store: RateLimitStore, rules: SignInRules) {
    const { stuffing, ...limitRules } = rules;
    this.stuffing = stuffing;
    this.limit = Object.fromEntries(Object.entries(limitRules).map(([name, rule]) => [name, store.limiter(rule)])) as Limiters;
  }

  /**
   * Whether the password may be checked now. `exempt`: the browser is a device the email's account signed in
   * on before (no challenge for it). `solved`: the form carries a valid bot-challenge solution. An open gate
   * has taken one point of the pair, so parallel guesses count before any of them is checked.
   */
  async gate(attempt: SignInAttempt, options: { exempt: boolean; solved: boolean }): Promise<SignInGate> {
    const address = await this.limit.address.peek(attempt.ip);
    if (address.consumed >= this.limit.address.rule.points) return { kind: 'blocked', scope: 'address', retryAfterSeconds: address.retryAfterSeconds };
    if (!options.exempt) {
      const [account, addressFlag, burstFlag] = await Promise.all([
        this.limit.account.peek(attempt.email), this.limit.addressFlag.peek(attempt.ip), this.limit.burstFlag.peek(EVERYONE),
      ]);
      if (account.consumed >= this.limit.account.rule.points) return { kind: 'challenge', scope: 'account' };
      if (!options.solved && addressFlag.consumed > 0) return { kind: 'challenge', scope: 'address' };
      if (!options.solved && burstFlag.consumed > 0) return { kind: 'challenge', scope: 'everyone' };
    }
    // Taken before the password is checked, so guesses sent in parallel count too; refused once the
    // pair's points are spent, and then for the rule's block.
    const reserved = await this.limit.pair.consume(pairKey(attempt));
    return reserved.allowed ? { kind: 'open' } : { kind: 'blocked', scope: 'pair', retryAfterSeconds: reserved.retryAfterSeconds };
  }

  /**
   * After a wrong password (or an unknown email): counts it everywhere and raises the flags it crosses.
   * `passwordTag`: the keyed hash of the password tried, for the spraying rule.
   */
  async failed(attempt: SignInAttempt, accountExists: boolean, passwordTag?: string): Promise<FailureOutcome> {
    const [pair, account] = await Promise.all([
      this.limit.pair.peek(pairKey(attempt)),
      this.limit.account.consume(attempt.email),
      this.limit.address.consume(attempt.ip),
    ]);
    // The pair's last point: the next attempt from this pair is refused (and blocked).
    const pairBlocked = pair.consumed >= this.limit.pair.rule.points;
    const [addressFlagged, burstFlagged, sprayFlagged] = await Promise.all([
      this.countAddressStuffing(attempt),
      this.countBurst(attempt, accountExists),
      accountExists && passwordTag !== undefined ? this.countSpraying(attempt, passwordTag) : false,
    ]);
    return { pairBlocked, accountProtected: account.consumed === this.limit.account.rule.points, addressFlagged, burstFlagged, sprayFlagged };
  }

  /** A right password ends the pair's streak (the other counters are about attackers, not this member). */
  async succeeded(attempt: SignInAttempt): Promise<void> {
    await this.limit.pair.reset(pairKey(attempt));
  }

  /**
   * Staff lifted the member's blocks (issue 20): the email's hourly count and its pairs with the addresses it
   * failed from. Counters keyed by address alone (stuffing, the address's daily limit) are about attackers, not
   * this member, and stay.
   */
  async clearAccount(email: string, ips: readonly string[]): Promise<void> {
    await this.limit.account.reset(email);
    for (const ip of new Set(ips)) await this.limit.pair.reset(pairKey({ email, ip }));
  }

  /** Failed sign-ins of this email in the current hour (a risk signal). */
  async recentFailures(email: string): Promise<number> {
    return (await this.limit.account.peek(email)).consumed;
  }

  /** Whether sign-ins from this address need the bot challenge (unless from a known device). */
  async challengeExpected(ip: string): Promise<boolean> {
    const [addressFlag, burstFlag] = await Promise.all([this.limit.addressFlag.peek(ip), this.limit.burstFlag.peek(EVERYONE)]);
    return addressFlag.consumed > 0 || burstFlag.consumed > 0;
  }

  /** Whether the whole program is under a credential-stuffing burst (sign-up asks for the challenge then too). */
  async underBurst(): Promise<boolean> {
    return (await this.limit.burstFlag.peek(EVERYONE)).consumed > 0;
  }

  private async countAddressStuffing(attempt: SignInAttempt): Promise<boolean> {
    const firstForEmail = (await this.limit.addressAccount.consume(pairKey(attempt))).consumed === 1;
    if (!firstForEmail) return false;
    const emails = await this.limit.addressAccounts.consume(attempt.ip);
    if (emails.consumed !== this.stuffing.accountsPerAddress) return false;
    await this.limit.addressFlag.consume(attempt.ip);
    return true;
  }

  /**
   * Spraying shows as one password failing for many different real accounts, whichever addresses send it; the
   * stuffing rules miss it (few tries per address, and the accounts exist). Raises the burst flag on the
   * threshold's account; returns whether this failure did.
   */
  private async countSpraying(attempt: SignInAttempt, passwordTag: string): Promise<boolean> {
    const firstForAccount = (await this.limit.sprayAccount.consume(`${passwordTag}\n${attempt.email}`)).consumed === 1;
    if (!firstForAccount) return false;
    const accounts = await this.limit.sprayAccounts.consume(passwordTag);
    if (accounts.consumed < this.stuffing.sprayAccounts) return false;
    const flag = await this.limit.burstFlag.consume(EVERYONE);
    return flag.consumed === 1;
  }

  private async countBurst(attempt: SignInAttempt, accountExists: boolean): Promise<boolean> {
    const [failures, unknown, firstFromAddress] = await Promise.all([
      this.limit.burstFailures.consume(EVERYONE),
      accountExists ? this.limit.burstUnknown.peek(EVERYONE) : this.limit.burstUnknown.consume(EVERYONE),
      this.limit.burstAddress.consume(attempt.ip).then((r) => r.consumed === 1),
    ]);
    const addresses = firstFromAddress ? await this.limit.burstAddresses.consume(EVERYONE) : await this.limit.burstAddresses.peek(EVERYONE);
    const { burstFailures, burstAddresses, unknownPercent } = this.stuffing;
    const stuffing = failures.consumed >= burstFailures && addresses.consumed >= burstAddresses && unknown.consumed * 100 >= unknownPercent * failures.consumed;
    if (!stuffing) return false;
    const flag = await this.limit.burstFlag.consume(EVERYONE);
    return flag.consumed === 1;
  }
}
