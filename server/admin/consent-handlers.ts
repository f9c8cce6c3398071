// Admin API on purpose consents (issue 17): the catalogue, and a member's receipts by their public `sub`.
import type { Context } from 'koa';
import type { AccountsRepository } from '../domain/accounts/accounts.repository.ts';
import type { PurposeConsentService } from '../domain/consent/purpose-consent-service.ts';
import { DomainError } from '../domain/errors.ts';

export interface ConsentAdminDeps {
  accounts: AccountsRepository;
  purposeConsents: PurposeConsentService;
}

export function consentHandlers(deps: ConsentAdminDeps) {
  return {
    async purposes(ctx: Context) {
      ctx.body = {
        purposes: deps.purposeConsents.purposes,
        terms: { version: deps.purposeConsents.terms.version ?? null, url: deps.purposeConsents.terms.url ?? null },
      };
    },

    async receipts(ctx: Context) {
      const id = String(ctx.params.id ?? '');
      const account = id.length <= 200 ? await deps.accounts.findById(id) : undefined;
      if (!account) throw new DomainError('not_found', 'no such member');
      ctx.body = {
        receipts: (await deps.purposeConsents.listReceipts(account.id)).map((receipt) => ({
          id: receipt.id, issued_at: receipt.issuedAt.toISOString(), method: receipt.method, decisions: receipt.decisions, jws: receipt.jws,
        })),
      };
    },
  };
}
