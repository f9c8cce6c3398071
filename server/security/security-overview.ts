// What attack protection is doing right now, for the console's security page (issue 20 item 4): blocks and
// lockouts in force, credential-stuffing flags, the SMS budget spent. The counters keep only hashed keys, so the
// candidates come from the audit log (recent block, challenge and alert events) and each is checked against
// the live counter (a peek, never a consume) before it is listed as in force.
import type { AttackProtection } from '../../config/attack-protection.ts';
import { signInRules } from '../../interactions/login/limits.ts';
import type { AccountsRepository } from '../domain/accounts/accounts.repository.ts';
import type { AuditLog } from '../domain/audit/audit-log.ts';
import type { AuditEvent, AuditEventType } from '../domain/audit/audit.repository.ts';
import type { RateLimiter, RateLimitStore } from './rate-limit/rate-limiter.ts';
import { smsRules } from './sms-guard.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The longest any block or flag here lasts (the address counter's day): older events cannot be in force. */
const LOOK_BACK_MS = DAY_MS;
/** Events read per kind: a page of the audit log, so a flood of events costs one bounded read. */
const CANDIDATES = 500;
/** The program-wide keys of the burst flag and the SMS budget (sign-in-guard.ts, sms-guard.ts). */
const EVERYONE = '*';
const PROGRAM = 'program';

export type BlockKind = 'pair' | 'address' | 'account';

export interface ActiveBlock {
  /** pair: one email from one address refused; address: every password sign-in from it refused; account: unrecognised devices challenged. */
  kind: BlockKind;
  accountId: string | null;
  ip: string | null;
  country: string | null;
  /** The latest event that shows it (the block's start or a refusal during it). */
  seenAt: Date;
  /** When the counter lets go (a block's end, or the end of the counting window). */
  endsAt: Date;
}

export interface StuffingAlert {
  /** address: one address tried many emails; burst: many failures from many addresses; spraying: one password, many accounts. */
  reason: string;
  ip: string | null;
  country: string | null;
  at: Date;
}

export interface StuffingState {
  /** The program-wide flag (a burst or spraying): unrecognised devices get the bot check until `endsAt`. */
  burst: { active: boolean; endsAt: Date | null };
  /** Addresses flagged now (their sign-ins need the bot check). */
  addresses: { ip: string; country: string | null; endsAt: Date }[];
  /** The alerts raised in the last day, newest first. */
  alerts: StuffingAlert[];
}

export interface SmsBudgetUse {
  /** Texts sent in the current 24-hour window (program-wide; the guard does not count per country). */
  used: number;
  budget: number;
  /** When sending resumes, while the budget is spent (null: texts go out). */
  resetsAt: Date | null;
  /** Refused texts in the last day, by reason (country, number, address, budget). */
  refused: Record<string, number>;
  /** When the budget ran out in the last day, if it did. */
  exhaustedAt: Date | null;
}

export interface SecurityOverviewDeps {
  store: RateLimitStore;
  settings: AttackProtection;
  audit: Pick<AuditLog, 'list'>;
  accounts: Pick<AccountsRepository, 'findById'>;
  now?: () => Date;
}

export class SecurityOverview {
  private readonly deps: SecurityOverviewDeps;
  private readonly now: () => Date;
  private readonly limit: { pair: RateLimiter; address: RateLimiter; account: RateLimiter; addressFlag: RateLimiter; burstFlag: RateLimiter; sms: RateLimiter };

  constructor(deps: SecurityOverviewDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
    // The same rules the guards use: a store's limiters of one name share their counters.
    const rules = signInRules(deps.settings);
    this.limit = {
      pair: deps.store.limiter(rules.pair),
      address: deps.store.limiter(rules.address),
      account: deps.store.limiter(rules.account),
      addressFlag: deps.store.limiter(rules.addressFlag),
      burstFlag: deps.store.limiter(rules.burstFlag),
      sms: deps.store.limiter(smsRules(deps.settings.sms).dailyBudget),
    };
  }

  private async recent(types: AuditEventType[]): Promise<AuditEvent[]> {
    const now = this.now();
    return (await this.deps.audit.list({ types, from: new Date(now.getTime() - LOOK_BACK_MS), limit: CANDIDATES })).events;
  }

  private endsAt(retryAfterSeconds: number): Date {
    return new Date(this.now().getTime() + retryAfterSeconds * 1000);
  }

  /** Blocks and lockouts in force now, newest first: one entry per email and address, address, or email. */
  async blocks(): Promise<ActiveBlock[]> {
    const events = await this.recent(['sign_in.blocked', 'account.protected']);
    const seen = new Set<string>();
    const emails = new Map<string, string | undefined>();
    const emailOf = async (accountId: string) => {
      if (!emails.has(accountId)) emails.set(accountId, (await this.deps.accounts.findById(accountId))?.email ?? undefined);
      return emails.get(accountId);
    };
    const active: ActiveBlock[] = [];
    for (const event of events) {
      const kind: BlockKind | undefined = event.type === 'account.protected' ? 'account' : event.reason === 'pair' || event.reason === 'address' ? event.reason : undefined;
      if (!kind) continue;
      const subject = kind === 'address' ? event.ip : kind === 'account' ? event.accountId : event.accountId && event.ip ? `${event.accountId}\n${event.ip}` : null;
      if (!subject || seen.has(`${kind}\n${subject}`)) continue;
      seen.add(`${kind}\n${subject}`);
      let endsAt: Date | undefined;
      if (kind === 'address') {
        const state = await this.limit.address.peek(event.ip!);
        if (state.consumed >= this.limit.address.rule.points) endsAt = this.endsAt(state.retryAfterSeconds);
      } else {
        const email = await emailOf(event.accountId!);
        if (!email) continue;
        if (kind === 'pair') {
          const state = await this.limit.pair.peek(`${email}\n${event.ip}`);
          if (!state.allowed) endsAt = this.endsAt(state.retryAfterSeconds);
        } else {
          const state = await this.limit.account.peek(email);
          if (state.consumed >= this.limit.account.rule.points) endsAt = this.endsAt(state.retryAfterSeconds);
        }
      }
      if (endsAt) active.push({ kind, accountId: kind === 'address' ? null : event.accountId, ip: kind === 'account' ? null : event.ip, country: kind === 'account' ? null : event.country, seenAt: event.at, endsAt });
    }
    return active;
  }

  async stuffing(): Promise<StuffingState> {
    const [alerts, challenged, burst] = await Promise.all([
      this.recent(['stuffing.detected']),
      this.recent(['sign_in.challenged']),
      this.limit.burstFlag.peek(EVERYONE),
    ]);
    const addresses: StuffingState['addresses'] = [];
    const seen = new Set<string>();
    // Flagged addresses: those an alert named, and those whose sign-ins were since challenged for it.
    for (const event of [...alerts.filter((alert) => alert.reason === 'address'), ...challenged.filter((event) => event.reason === 'address')]) {
      if (!event.ip || seen.has(event.ip)) continue;
      seen.add(event.ip);
      const state = await this.limit.addressFlag.peek(event.ip);
      if (state.consumed > 0) addresses.push({ ip: event.ip, country: event.country, endsAt: this.endsAt(state.retryAfterSeconds) });
    }
    return {
      burst: burst.consumed > 0 ? { active: true, endsAt: this.endsAt(burst.retryAfterSeconds) } : { active: false, endsAt: null },
      addresses,
      alerts: alerts.map((alert) => ({ reason: alert.reason ?? 'unknown', ip: alert.ip, country: alert.country, at: alert.at })),
    };
  }

  async sms(): Promise<SmsBudgetUse> {
    const [budget, refusals, exhausted] = await Promise.all([this.limit.sms.peek(PROGRAM), this.recent(['sms.blocked']), this.recent(['sms.budget_exceeded'])]);
    const refused: Record<string, number> = {};
    for (const event of refusals) refused[event.reason ?? 'unknown'] = (refused[event.reason ?? 'unknown'] ?? 0) + 1;
    return {
      // Refused sends count in the window too (rate-limiter-flexible); the texts that went out are at most the budget.
      used: Math.min(budget.consumed, this.limit.sms.rule.points),
      budget: this.limit.sms.rule.points,
      // A counter says when its window ends only once it refuses: while texts still go out there is no reset to wait for.
      resetsAt: budget.allowed ? null : this.endsAt(budget.retryAfterSeconds),
      refused,
      exhaustedAt: exhausted[0]?.at ?? null,
    };
  }
}
