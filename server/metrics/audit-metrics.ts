// Turns the security audit stream into sign-in and attack-protection counters: one listener on AuditLog.record
// rather than calls scattered through the flows, so every audited outcome is counted and nothing else is.
import type { AuditInput } from '../domain/audit/audit-log.ts';
import type { Metrics, SignInMethod, SignInOutcome } from './metrics.ts';

/** Audit reasons of a successful sign-in (interactions call signedInWith with these) → method label. */
const SUCCESS_METHODS: Record<string, SignInMethod> = {
  password: 'password',
  passkey: 'passkey',
  code_email: 'email_code',
  code_sms: 'sms_code',
};

/** Audit types that are attack protection refusing or challenging someone. */
const PROTECTION_TYPES = new Set(['sign_in.blocked', 'sign_in.challenged', 'sign_up.refused', 'account.protected', 'sms.blocked', 'sms.budget_exceeded', 'code.budget_exhausted']);
/** Reasons are code-chosen words; anything else (or past the cap) is `other`, so a label can never grow without bound. */
const RULE_REASON = /^[a-z0-9_]{1,32}$/;
const MAX_RULES = 64;

function signInLabels(event: AuditInput): { method: SignInMethod; outcome: SignInOutcome } | undefined {
  const reason = event.reason ?? '';
  switch (event.type) {
    case 'sign_in.success':
      if (reason.startsWith('step_up_')) return { method: 'step_up', outcome: 'success' };
      return { method: Object.hasOwn(SUCCESS_METHODS, reason) ? SUCCESS_METHODS[reason]! : 'other', outcome: 'success' };
    // Only the password form audits failures, blocks, challenges and risk step-ups (sign-in-protection.ts).
    case 'sign_in.failure':
      return { method: 'password', outcome: 'failure' };
    case 'sign_in.blocked':
      return { method: 'password', outcome: 'blocked' };
    case 'sign_in.challenged':
      return { method: 'password', outcome: 'challenged' };
    case 'sign_in.step_up':
      return { method: 'password', outcome: 'step_up' };
    default:
      return undefined;
  }
}

export function auditMetrics(metrics: Metrics): (event: AuditInput) => void {
  const rules = new Set<string>();
  return (event) => {
    const signIn = signInLabels(event);
    if (signIn) metrics.signIns.inc(signIn);
    if (!PROTECTION_TYPES.has(event.type)) return;
    const reason = event.reason && RULE_REASON.test(event.reason) ? event.reason : 'other';
    let rule = `${event.type}:${reason}`;
    if (!rules.has(rule)) {
      if (rules.size >= MAX_RULES) rule = 'other';
      else rules.add(rule);
    }
    metrics.attackProtection.inc({ rule });
  };
}
