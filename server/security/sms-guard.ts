// SMS pumping defence around the SMS sender: texts only to allowed countries, at most a few per number
// and per client address an hour, and a program-wide daily budget whose exhaustion raises an alert.
// Every refusal is an audit event; the caller sees a 429 (rate_limited) with Retry-After.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Logger } from 'pino';
import { DomainError } from '../domain/errors.ts';
import type { DeliveryOptions } from '../domain/mail/mailer.ts';
import type { OutgoingSms, SmsSender } from '../domain/sms/sms-sender.ts';
import { currentRequest } from '../middleware/request-scope.ts';
import type { LimitRule, RateLimitStore } from './rate-limit/rate-limiter.ts';
import type { SecurityEvents } from './security-events.ts';

export interface SmsRules {
  perNumber: LimitRule;
  perAddress: LimitRule;
  dailyBudget: LimitRule;
  /** The once-a-day alert when the budget runs out. */
  budgetAlert: LimitRule;
  /** Upper-case alpha-2; undefined: every country. */
  allowedCountries: readonly string[] | undefined;
}

export function smsRules(settings: { perNumberPerHour: number; perIpPerHour: number; dailyBudget: number; allowedCountries: readonly string[] | undefined }): SmsRules {
  return {
    perNumber: { name: 'sms-number', points: settings.perNumberPerHour, durationSeconds: 3600 },
    perAddress: { name: 'sms-address', points: settings.perIpPerHour, durationSeconds: 3600 },
    dailyBudget: { name: 'sms-budget', points: settings.dailyBudget, durationSeconds: 24 * 3600 },
    budgetAlert: { name: 'sms-budget-alert', points: 1, durationSeconds: 24 * 3600 },
    allowedCountries: settings.allowedCountries,
  };
}

/** Whether texts may go to this E.164 number's country at all (also asked when a member types a number). */
export function smsCountryAllowed(e164: string, allowed: readonly string[] | undefined): boolean {
  if (!allowed) return true;
  const country = parsePhoneNumberFromString(e164)?.country;
  return country !== undefined && allowed.includes(country);
}

export function guardSmsSender(inner: SmsSender, deps: { store: RateLimitStore; rules: SmsRules; events: SecurityEvents; logger: Logger }): SmsSender {
  const { rules, events, logger } = deps;
  const perNumber = deps.store.limiter(rules.perNumber);
  const perAddress = deps.store.limiter(rules.perAddress);
  const budget = deps.store.limiter(rules.dailyBudget);
  const alert = deps.store.limiter(rules.budgetAlert);

  const refuse = async (reason: string, retryAfterSeconds: number): Promise<never> => {
    const request = currentRequest();
    await events.record({ type: 'sms.blocked', reason, ip: request?.ip ?? null, userAgent: request?.userAgent ?? null });
    throw new DomainError('rate_limited', 'no more text messages can be sent right now', { details: { retryAfterSeconds: Math.max(1, retryAfterSeconds), messageId: 'error.blocked.sms' } });
  };

  return {
    async send(message: OutgoingSms, options?: DeliveryOptions) {
      if (!smsCountryAllowed(message.to, rules.allowedCountries)) await refuse('country', 24 * 3600);
      const ip = currentRequest()?.ip;
      // The cheapest refusals first, and the budget last, so refused texts do not spend it.
      const number = await perNumber.consume(message.to);
      if (!number.allowed) await refuse('number', number.retryAfterSeconds);
      if (ip) {
        const address = await perAddress.consume(ip);
        if (!address.allowed) await refuse('address', address.retryAfterSeconds);
      }
      const spent = await budget.consume('program');
      if (!spent.allowed) {
        if ((await alert.consume('program')).allowed) {
          logger.error({ budget: rules.dailyBudget.points }, 'ALERT: daily SMS budget exhausted; SMS sends are blocked until the day is over');
          await events.record({ type: 'sms.budget_exceeded', reason: 'daily_budget', details: { budget: rules.dailyBudget.points } });
        }
        await refuse('budget', spent.retryAfterSeconds);
      }
      await inner.send(message, options);
    },
    close: () => inner.close(),
  };
}
