// Finds members for staff (issue 20): an exact email, a phone number (E.164 or a local form), a member number,
// or the start of a given or family name; the input is only ever data, never a pattern or a query operator.
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import { normaliseEmail } from '../accounts/email-address.ts';
import { parsePhoneNumber } from '../accounts/phone-number.ts';
import { DomainError } from '../errors.ts';
import type { LoyaltyRepository } from '../loyalty/loyalty.repository.ts';
import { normaliseMemberNumber } from '../loyalty/member-number.ts';
import type { MemberSearchRepository } from './staff.repository.ts';

export const MAX_QUERY_LENGTH = 200;
export const MAX_SEARCH_PAGE = 50;

export interface SearchPage {
  /** Account ids, in the order found. */
  accountIds: string[];
  /** Opaque: pass as `cursor` for the next page; null on the last one. */
  next: string | null;
  /** How the query was read. */
  matchedBy: 'email' | 'phone_or_member_number' | 'name';
}

export interface MemberSearchDeps {
  accounts: Pick<AccountsRepository, 'findByEmail' | 'findByPhone'>;
  loyalty: Pick<LoyaltyRepository, 'findMemberByNumber'>;
  names: MemberSearchRepository;
  /** SMS_DEFAULT_COUNTRY: reads national phone numbers ("07911 123456" in GB). */
  defaultCountry: string | undefined;
}

function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const decoded = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!decoded.startsWith('n:')) throw new DomainError('invalid_input', 'invalid query', { details: { fields: { cursor: 'is not a cursor this search returned' } } });
  return decoded.slice(2);
}

export class MemberSearch {
  private readonly deps: MemberSearchDeps;

  constructor(deps: MemberSearchDeps) {
    this.deps = deps;
  }

  async search(rawQuery: string, options: { limit: number; cursor?: string }): Promise<SearchPage> {
    const query = rawQuery.trim();
    if (query.length === 0 || query.length > MAX_QUERY_LENGTH) {
      throw new DomainError('invalid_input', 'invalid query', { details: { fields: { q: `expected 1-${MAX_QUERY_LENGTH} characters` } } });
    }
    const after = decodeCursor(options.cursor);
    if (query.includes('@')) {
      const account = await this.deps.accounts.findByEmail(normaliseEmail(query));
      return { accountIds: account ? [account.id] : [], next: null, matchedBy: 'email' };
    }
    if (/^\+?[0-9\s().\-/]+$/.test(query)) {
      const found = new Set<string>();
      const number = normaliseMemberNumber(query);
      const member = number ? await this.deps.loyalty.findMemberByNumber(number) : undefined;
      if (member) found.add(member.accountId);
      const phone = parsePhoneNumber(query, this.deps.defaultCountry);
      const byPhone = phone.ok ? await this.deps.accounts.findByPhone(phone.e164) : undefined;
      if (byPhone) found.add(byPhone.id);
      return { accountIds: [...found], next: null, matchedBy: 'phone_or_member_number' };
    }
    const limit = Math.min(Math.max(options.limit, 1), MAX_SEARCH_PAGE);
    const ids = await this.deps.names.accountsByNamePrefix(query, { limit: limit + 1, ...(after !== undefined ? { afterAccountId: after } : {}) });
    const page = ids.slice(0, limit);
    const next = ids.length > limit ? Buffer.from(`n:${page.at(-1)}`, 'utf8').toString('base64url') : null;
    return { accountIds: page, next, matchedBy: 'name' };
  }
}
