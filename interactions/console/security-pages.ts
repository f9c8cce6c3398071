// The console's security pages (issue 20 item 4): the audit log with filters (type, member, address, country, time
// range), and the security page: blocks and lockouts in force, credential-stuffing alerts, the SMS budget spent and
// the attack-protection settings in force (read-only). Security and owner roles (audit:read); others get 403.
import { isIP } from 'node:net';
import type { Context } from 'koa';
import type { AttackProtection } from '../../config/attack-protection.ts';
import { normaliseEmail } from '../../server/domain/accounts/email-address.ts';
import type { AccountsRepository } from '../../server/domain/accounts/accounts.repository.ts';
import { AUDIT_EVENT_TYPES, isAuditEventType } from '../../server/domain/audit/audit-rules.ts';
import type { SecurityOverview } from '../../server/security/security-overview.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderStaffPage, requireStaffAction, staffMay } from './staff-page.ts';

export interface SecurityPagesDeps {
  accounts: Pick<AccountsRepository, 'findById' | 'findByEmail'>;
  security: Pick<SecurityOverview, 'blocks' | 'stuffing' | 'sms'>;
}

const AUDIT_PAGE = 50;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Filter errors, each an id under console.error. (a field's message). */
type FilterErrors = Partial<Record<'ip' | 'country' | 'from' | 'to', string>>;

/** A YYYY-MM-DD that names a real day (a date input's value), as the start of that UTC day. */
function utcDay(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text ? undefined : ms;
}

function queryText(ctx: Context, name: string, max: number): string {
  const value = ctx.query[name];
  return typeof value === 'string' ? value.trim().slice(0, max) : '';
}

/** The settings an analyst needs to read the page: each threshold with the environment variable that sets it. */
function settingsInForce(settings: AttackProtection) {
  const minutes = (seconds: number) => Math.round(seconds / 60);
  return [
    { id: 'pair_failures', env: 'SIGN_IN_PAIR_FAILURES', value: settings.signIn.pairFailures },
    { id: 'pair_block_minutes', env: 'SIGN_IN_PAIR_BLOCK_MINUTES', value: minutes(settings.signIn.pairBlockSeconds) },
    { id: 'account_failures_per_hour', env: 'SIGN_IN_ACCOUNT_FAILURES_PER_HOUR', value: settings.signIn.accountFailuresPerHour },
    { id: 'ip_failures_per_day', env: 'SIGN_IN_IP_FAILURES_PER_DAY', value: settings.signIn.ipFailuresPerDay },
    { id: 'stuffing_accounts_per_ip', env: 'STUFFING_ACCOUNTS_PER_IP', value: settings.stuffing.accountsPerIp },
    { id: 'stuffing_failures_per_5_min', env: 'STUFFING_FAILURES_PER_5_MIN', value: settings.stuffing.failuresPer5Min },
    { id: 'stuffing_unknown_percent', env: 'STUFFING_UNKNOWN_PERCENT', value: settings.stuffing.unknownPercent },
    { id: 'spray_accounts_per_password', env: 'SPRAY_ACCOUNTS_PER_PASSWORD', value: settings.spraying.accountsPerPassword },
    { id: 'sign_ups_per_ip_per_hour', env: 'SIGN_UPS_PER_IP_PER_HOUR', value: settings.signUp.perIpPerHour },
    { id: 'sign_ups_per_device_per_hour', env: 'SIGN_UPS_PER_DEVICE_PER_HOUR', value: settings.signUp.perDevicePerHour },
    { id: 'codes_per_account_per_day', env: 'CODES_PER_ACCOUNT_PER_DAY', value: settings.codes.perAccountPerDay },
    { id: 'code_failures_per_account_per_day', env: 'CODE_FAILURES_PER_ACCOUNT_PER_DAY', value: settings.codes.failuresPerAccountPerDay },
    { id: 'sms_per_number_per_hour', env: 'SMS_PER_NUMBER_PER_HOUR', value: settings.sms.perNumberPerHour },
    { id: 'sms_per_ip_per_hour', env: 'SMS_PER_IP_PER_HOUR', value: settings.sms.perIpPerHour },
    { id: 'sms_daily_budget', env: 'SMS_DAILY_BUDGET', value: settings.sms.dailyBudget },
    { id: 'sms_countries', env: 'SMS_ALLOWED_COUNTRIES', value: settings.sms.allowedCountries ? settings.sms.allowedCountries.join(', ') : null },
    { id: 'unverified_account_days', env: 'UNVERIFIED_ACCOUNT_DAYS', value: settings.unverifiedAccountDays },
    { id: 'breached_passwords', env: 'PWNED_PASSWORDS_URL', value: settings.pwnedPasswordsUrl !== undefined },
    { id: 'new_device_step_up', env: 'RISK_NEW_DEVICE_STEP_UP', value: settings.newDeviceStepUp },
  ];
}

export function securityPages(deps: InteractionDeps, data: SecurityPagesDeps) {
  const pageOf = renderStaffPage(deps);

  return {
    /** The security audit log, newest first, filtered by type, member, address, country and UTC days; paged. */
    async audit(ctx: Context) {
      requireStaffAction(ctx, 'audit:read');
      const type = typeof ctx.query.type === 'string' && isAuditEventType(ctx.query.type) ? ctx.query.type : '';
      const filters = {
        member: queryText(ctx, 'member', 200),
        ip: queryText(ctx, 'ip', 64),
        country: queryText(ctx, 'country', 8).toUpperCase(),
        from: queryText(ctx, 'from', 10),
        to: queryText(ctx, 'to', 10),
      };
      const errors: FilterErrors = {};
      if (filters.ip !== '' && isIP(filters.ip) === 0) errors.ip = 'console.error.audit_ip';
      if (filters.country !== '' && !/^[A-Z]{2}$/.test(filters.country)) errors.country = 'console.error.audit_country';
      const from = filters.from === '' ? undefined : utcDay(filters.from);
      const to = filters.to === '' ? undefined : utcDay(filters.to);
      if (filters.from !== '' && from === undefined) errors.from = 'console.error.audit_date';
      if (filters.to !== '' && to === undefined) errors.to = 'console.error.audit_date';
      else if (from !== undefined && to !== undefined && to < from) errors.to = 'console.error.audit_range';
      const before = typeof ctx.query.before === 'string' && ctx.query.before.length <= 400 ? ctx.query.before : undefined;
      const account = filters.member === '' ? undefined
        : filters.member.includes('@') ? await data.accounts.findByEmail(normaliseEmail(filters.member)) : await data.accounts.findById(filters.member);
      const unknownMember = filters.member !== '' && !account;
      const invalid = Object.keys(errors).length > 0;
      const page = unknownMember || invalid ? { events: [], next: null } : await deps.audit.list({
        limit: AUDIT_PAGE,
        ...(type ? { types: [type] } : {}),
        ...(account ? { accountId: account.id } : {}),
        ...(filters.ip ? { ip: filters.ip } : {}),
        ...(filters.country ? { country: filters.country } : {}),
        ...(from !== undefined ? { from: new Date(from) } : {}),
        // The "to" day is included: the query's end is the start of the next day.
        ...(to !== undefined ? { to: new Date(to + DAY_MS) } : {}),
        ...(before ? { before } : {}),
      });
      const shown = new URLSearchParams(Object.entries({ type, ...filters }).filter(([, value]) => value !== ''));
      await pageOf(ctx, 'console/audit', {
        types: AUDIT_EVENT_TYPES, type, ...filters, errors, unknownMember, canOpenMembers: staffMay(ctx, 'members:read'),
        events: page.events.map((event) => ({
          type: event.type, at: event.at, accountId: event.accountId, ip: event.ip, country: event.country, reason: event.reason,
          actor: typeof event.details.actor === 'string' ? event.details.actor : null,
        })),
        next: page.next ? `/console/audit?${new URLSearchParams([...shown, ['before', page.next]]).toString()}` : null,
      }, invalid ? 400 : 200);
    },

    /** What attack protection is doing now, and the settings it runs with. */
    async security(ctx: Context) {
      requireStaffAction(ctx, 'audit:read');
      const [blocks, stuffing, sms] = await Promise.all([data.security.blocks(), data.security.stuffing(), data.security.sms()]);
      const members = new Map<string, string>();
      for (const block of blocks) {
        if (block.accountId && !members.has(block.accountId)) members.set(block.accountId, (await data.accounts.findById(block.accountId))?.email ?? block.accountId);
      }
      await pageOf(ctx, 'console/security', {
        blocks: blocks.map((block) => ({ ...block, member: block.accountId ? members.get(block.accountId) ?? null : null })),
        stuffing,
        sms: { ...sms, refused: Object.entries(sms.refused).sort(([a], [b]) => (a < b ? -1 : 1)) },
        settings: settingsInForce(deps.attackProtection),
        canOpenMembers: staffMay(ctx, 'members:read'),
      });
    },
  };
}
