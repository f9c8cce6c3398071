// Renders a console page for the signed-in staff member (the dashboard's and the security page's modules): the
// header's Sign out form and a CSRF token bound to the console session, as interactions/console/pages.ts does.
import type { Context } from 'koa';
import { DomainError } from '../../server/domain/errors.ts';
import { mayDo, type StaffAction } from '../../server/domain/staff/permissions.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage } from '../shared/page.ts';
import { staffOf } from './staff-session.ts';

/** Refuses (403) a staff member whose roles do not allow `action`, whatever the page offered. */
export function requireStaffAction(ctx: Context, action: StaffAction): void {
  if (!mayDo(staffOf(ctx).roles, action)) throw new DomainError('forbidden', 'your staff roles do not allow this');
}

export function staffMay(ctx: Context, action: StaffAction): boolean {
  return mayDo(staffOf(ctx).roles, action);
}

export function renderStaffPage(deps: InteractionDeps) {
  return (ctx: Context, view: string, locals: Record<string, unknown>, status = 200): Promise<void> => {
    const csrfToken = deps.csrf.tokenFor(`console\0${staffOf(ctx).nonce}`);
    return renderPage(ctx, deps, view, {
      ...locals,
      csrfToken,
      signOutForm: { action: '/console/sign-out', csrfToken },
      languageForm: null,
    }, status);
  };
}
