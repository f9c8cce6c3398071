// The operator console under /console (issue 20): staff sign in through the provider, then find members and act
// on them. Every POST runs: parse-body → load-staff → check-csrf (bound to the console session) → handler, and
// each handler checks the staff member's roles against the permissions matrix.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { type ConsoleDeps, consolePages } from './pages.ts';
import { partnerPages } from './partner-pages.ts';
import { consoleMergePages } from './merge-pages.ts';
import { consoleSignIn } from './sign-in.ts';
import { dashboardPages } from './dashboard-pages.ts';
import { securityPages } from './security-pages.ts';
import { loadStaff, type NoSession, staffOf } from './staff-session.ts';

export function consoleRouter(deps: InteractionDeps, data: ConsoleDeps, options: { issuer: string; secure: boolean }): Router {
  const router = new Router({ prefix: '/console' });
  const signIn = consoleSignIn(deps, data.staff, options);
  const pages = consolePages(deps, data);

  const signedOut = async (ctx: Context, why: NoSession) => {
    // No session at all: a GET goes straight to the sign-in; an expired one (or any POST) says what happened.
    if (why === 'none' && ctx.method === 'GET') return seeOther(ctx, '/console/sign-in');
    await renderPage(ctx, deps, 'console/signed-out', { reason: why === 'expired' ? 'expired' : 'signed_out', signOutForm: null }, 401);
  };
  const staff = loadStaff({ staff: data.staff, accounts: data.accounts }, options.secure, signedOut);
  const csrf = deps.csrf.verify((ctx) => `console\0${staffOf(ctx).nonce}`);
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', onError: () => {
    throw new DomainError('invalid_input', 'unreadable form body');
  } });
  const post = [form, staff, csrf];

  router.get('/sign-in', signIn.start);
  router.get('/callback', signIn.callback);
  router.get('/signed-out', (ctx) => renderPage(ctx, deps, 'console/signed-out', { reason: 'signed_out', signOutForm: null }));
  router.post('/sign-out', ...post, signIn.signOut);
  router.get('/', staff, pages.search);
  router.get('/members/:id', staff, pages.member);
  router.post('/members/:id/points', ...post, pages.adjust);
  router.post('/members/:id/sessions/end', ...post, pages.memberAction('end_sessions'));
  router.post('/members/:id/verification/resend', ...post, pages.memberAction('resend_verification'));
  router.post('/members/:id/adjustments/:adjustmentId/approve', ...post, pages.decide('approve'));
  router.post('/members/:id/adjustments/:adjustmentId/reject', ...post, pages.decide('reject'));
  // Partners and their clients (partner-pages.ts); /partners/new before /partners/:id.
  const partners = partnerPages(deps, data.partnerPages);
  router.get('/partners', staff, partners.list);
  router.get('/partners/new', staff, partners.newPartner);
  router.post('/partners', ...post, partners.createPartner);
  router.get('/partners/:id', staff, partners.partner);
  router.post('/partners/:id', ...post, partners.renamePartner);
  router.get('/partners/:id/clients/new', staff, partners.newClient);
  router.post('/partners/:id/clients', ...post, partners.createClient);
  router.get('/clients/:id', staff, partners.client);
  router.post('/clients/:id', ...post, partners.changeClient);
  router.post('/clients/:id/secret', ...post, partners.rotateSecret);
  // Issue 20 items 4 and 5: the dashboard (every role reading analytics) and the security page (security, owner).
  router.get('/dashboard', staff, dashboardPages(deps, data).dashboard);
  const security = securityPages(deps, data);
  router.get('/security', staff, security.security);
  router.get('/audit', staff, security.audit);
  // Issue 20: support's actions on a member, each with a reason (member-pages.ts).
  router.post('/members/:id/factors/remove', ...post, pages.support.removeFactor);
  router.post('/members/:id/unblock', ...post, pages.support.unblock);
  router.post('/members/:id/redemptions/freeze', ...post, pages.support.freeze(true));
  router.post('/members/:id/redemptions/unfreeze', ...post, pages.support.freeze(false));
  router.post('/members/:id/export', ...post, pages.support.exportArchive);
  router.get('/members/:id/erase', staff, pages.support.eraseConfirm);
  router.post('/members/:id/erase', ...post, pages.support.erase);
  // Issue 21: merging a duplicate into the member (merge-pages.ts): the form, what will move, the merge.
  const merge = consoleMergePages(deps, data.merge);
  router.get('/members/:id/merge', staff, merge.form);
  router.post('/members/:id/merge/preview', ...post, merge.preview);
  router.post('/members/:id/merge', ...post, merge.confirm);
  return router;
}
