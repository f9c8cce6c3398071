// Port: told when the account service ends sessions itself, so the clients they signed in to hear of it
// (implemented by server/sessions/backchannel-logout.ts).
import type { OidcPayload } from './oidc-store.repository.ts';

export interface SessionEndNotifier {
  /** `sessions` are the ended Session payloads as oidc-provider stored them. Must not throw or wait on clients. */
  sessionsEnded(accountId: string, sessions: OidcPayload[]): void;
}
