// "Privacy choices" (/account/consents, issue 17 items 1 and 3): each purpose with the member's answer, its version
// and date, changed with one click either way; the receipts of every change, downloaded or emailed on request.
import type { Context } from 'koa';
import { z } from 'zod';
import { TERMS_PURPOSE, textIn } from '../../config/consent-purposes.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { consentReceiptEmail, receiptDocument } from '../../server/domain/consent/receipt-email.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { pageLanguage, renderPage, seeOther } from '../shared/page.ts';
import { memberOf } from './member-session.ts';
import { csrfFor } from './security-page.ts';

const NOTICES = ['saved', 'emailed'] as const;
const changeForm = z.object({ purpose: z.string().max(80), version: z.coerce.number().int(), granted: z.enum(['yes', 'no']) });

export function consentSettings(deps: InteractionDeps, issuer: string) {
  return {
    async show(ctx: Context) {
      const member = memberOf(ctx);
      const lang = await pageLanguage(ctx, deps);
      const answers = await deps.purposeConsents.current(member.account.id);
      const notice = NOTICES.find((n) => n === ctx.query.notice);
      const terms = answers.get(TERMS_PURPOSE);
      await renderPage(ctx, deps, 'account/consents', {
        csrfToken: csrfFor(deps, member),
        notice: notice ? `consents.notice.${notice}` : null,
        purposes: deps.purposeConsents.purposes.map((purpose) => {
          const answer = answers.get(purpose.id);
          return {
            id: purpose.id, version: purpose.version, title: textIn(purpose.title, lang), text: textIn(purpose.text, lang),
            answer: answer ? { granted: answer.granted, version: answer.version, at: answer.at, outdated: answer.version !== purpose.version } : null,
          };
        }),
        terms: terms ? { version: terms.version, at: terms.at } : null,
        termsUrl: deps.purposeConsents.terms.url ?? null,
        receipts: (await deps.purposeConsents.listReceipts(member.account.id)).map((receipt) => ({
          id: receipt.id, issuedAt: receipt.issuedAt, count: receipt.decisions.length,
        })),
      });
    },

    /** One purpose, one click: allow or withdraw (the form carries the version the page showed). */
    async change(ctx: Context) {
      const { account } = memberOf(ctx);
      const form = changeForm.safeParse(ctx.request.body ?? {});
      if (!form.success) throw new DomainError('invalid_input', 'a purpose, its version and yes or no are expected', { expose: true });
      await deps.purposeConsents.record(account.id, [{ purpose: form.data.purpose, version: form.data.version, granted: form.data.granted === 'yes' }],
        { channel: 'web', clientId: null, method: 'account_page' });
      seeOther(ctx, '/account/consents?notice=saved');
    },

    /** The receipt as a file: the signed JWS and, for reading, its payload. Only its member gets it (404 otherwise). */
    async download(ctx: Context) {
      const { account } = memberOf(ctx);
      const receipt = await deps.purposeConsents.findReceipt(account.id, String(ctx.params.id ?? ''));
      if (!receipt?.jws) throw new DomainError('not_found', 'no such receipt');
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'application/json';
      ctx.set('Content-Disposition', `attachment; filename="consent-receipt-${receipt.issuedAt.toISOString().slice(0, 10)}-${receipt.id.slice(0, 8)}.json"`);
      ctx.body = JSON.stringify(receiptDocument(receipt), null, 2);
    },

    async email(ctx: Context) {
      const { account } = memberOf(ctx);
      const receipt = await deps.purposeConsents.findReceipt(account.id, String(ctx.params.id ?? ''));
      if (!receipt?.jws) throw new DomainError('not_found', 'no such receipt');
      const lang = await pageLanguage(ctx, deps);
      const link = new URL(`/account/consents/receipts/${receipt.id}`, issuer).href;
      const titles = (id: string) => {
        const purpose = deps.purposeConsents.purpose(id);
        return purpose ? textIn(purpose.title, lang) : id;
      };
      if (account.email) await deps.mailer.send(consentReceiptEmail(account.email, lang, receipt, link, titles));
      seeOther(ctx, '/account/consents?notice=emailed');
    },
  };
}
