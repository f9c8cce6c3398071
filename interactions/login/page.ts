// The sign-in page, rendered for the first view and for every answer of the form (errors, challenges).
import type { Context } from 'koa';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { clientName, renderPage } from '../shared/page.ts';
import { connectionButtons } from '../federation/connection-buttons.ts';

export function loginLinks(uid: string) {
  return {
    uid,
    action: `/interaction/${uid}/login`,
    registerUrl: `/interaction/${uid}/register`,
    forgotUrl: `/interaction/${uid}/forgot`,
    codeUrl: `/interaction/${uid}/code`,
    abortUrl: `/interaction/${uid}/abort`,
    passkeyOptionsUrl: `/interaction/${uid}/passkey/login/options`,
    passkeyLoginUrl: `/interaction/${uid}/passkey/login`,
  };
}

export interface LoginPageState {
  email?: string;
  error?: string | null;
  info?: string | null;
  /** Carry a bot challenge (solved by public/bot-challenge.js while the member types). */
  challenge?: boolean;
  status?: number;
}

export async function renderLogin(ctx: Context, deps: InteractionDeps, state: LoginPageState): Promise<void> {
  const details = ctx.state.interaction as InteractionDetails;
  await renderPage(ctx, deps, 'login/login', {
    ...loginLinks(details.uid),
    email: state.email ?? '',
    error: state.error ?? null,
    info: state.info ?? null,
    clientName: clientName(ctx),
    botChallenge: state.challenge ? deps.botChallenge.issue(details.uid) : null,
    connections: await connectionButtons(ctx, deps.federation.connections, details.uid),
  }, state.status ?? 200);
}
