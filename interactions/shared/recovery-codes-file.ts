// "Download" on the recovery-codes page: the codes the page just showed come back in the form and leave
// as a text file made here (text/plain, attachment). They are never stored in clear, so only the member
// holding them can ask: each must be an unused code of the signed-in account, else nothing is sent.
import type { Context } from 'koa';
import { z } from 'zod';
import { type Account, accountLabel } from '../../server/domain/accounts/account.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { translate } from '../../server/i18n/messages.ts';
import type { InteractionDeps } from './deps.ts';
import { field, parseForm } from './input.ts';
import { pageLanguage } from './page.ts';

/** What the page's form posts: the codes as shown (AAAAA-BBBBB), separated by spaces; ten at most. */
const downloadForm = z.object({ codes: field(200) }).transform(({ codes }) => codes.split(/\s+/).filter(Boolean))
  .refine((codes) => codes.length > 0 && codes.length <= 10 && codes.every((code) => /^[A-Z0-9]{5}-[A-Z0-9]{5}$/.test(code)));

export async function sendRecoveryCodesFile(ctx: Context, deps: InteractionDeps, account: Account): Promise<void> {
  const codes = parseForm(downloadForm, ctx.request.body);
  if (!codes || !(await deps.totp.holdsUnusedRecoveryCodes(account.id, codes))) throw new DomainError('invalid_input', 'not the account\'s recovery codes');
  const lang = await pageLanguage(ctx, deps);
  const lines = [translate(lang, 'mfa.codes_file_heading', { account: accountLabel(account) }), translate(lang, 'mfa.codes_intro'), '', ...codes, ''];
  ctx.set('Content-Disposition', 'attachment; filename="recovery-codes.txt"');
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = lines.join('\r\n');
}
