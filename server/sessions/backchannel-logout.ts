// When we end a member's sessions ourselves (password reset or change, "Sign out everywhere else"), the
// partners those sessions signed in to are told by back-channel logout, as oidc-provider tells them when a
// member signs out through end_session: otherwise a thief's session on a partner site would outlive the
// reset that ended it here.
import type Provider from 'oidc-provider';
import type { OidcPayload } from '../domain/oidc/oidc-store.repository.ts';
import type { SessionEndNotifier } from '../domain/oidc/session-end-notifier.ts';

/** What oidc-provider's Client does but its published types leave out (lib/models/client.js). */
interface LogoutCapableClient {
  backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
}

export class BackchannelLogout implements SessionEndNotifier {
  private provider: Provider | undefined;
  /** Deliveries still in flight, so shutdown and tests can wait for them. */
  private readonly pending = new Set<Promise<void>>();

  /** The provider exists only after the account service it serves, so it is attached afterwards. */
  attach(provider: Provider): void {
    this.provider = provider;
  }

  /**
   * Sends every client with a back-channel logout URI one logout token per ended session, without making
   * the member wait for partners' endpoints. Outcomes are oidc-provider's own `backchannel.success` and
   * `backchannel.error` events (without a request), so whoever listens to end_session's deliveries hears
   * these too; a failure (oidc-provider gives up after its HTTP timeout) never undoes the sign-out here.
   */
  sessionsEnded(accountId: string, sessions: OidcPayload[]): void {
    for (const session of sessions) {
      const authorizations = (session.authorizations ?? {}) as Record<string, { sid?: string } | undefined>;
      for (const [clientId, authorization] of Object.entries(authorizations)) {
        const delivery = this.deliver(clientId, accountId, authorization?.sid);
        this.pending.add(delivery);
        void delivery.finally(() => this.pending.delete(delivery));
      }
    }
  }

  /** Resolves when every delivery started so far has been made or has failed. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async deliver(clientId: string, accountId: string, sid: string | undefined): Promise<void> {
    const provider = this.provider;
    if (!provider) return;
    const client = await provider.Client.find(clientId).catch((error: unknown) => {
      provider.emit('backchannel.error', undefined, error, undefined, accountId, sid);
    });
    if (!client?.backchannelLogoutUri) return;
    try {
      await (client as unknown as LogoutCapableClient).backchannelLogout(accountId, sid);
      provider.emit('backchannel.success', undefined, client, accountId, sid);
    } catch (error) {
      provider.emit('backchannel.error', undefined, error, client, accountId, sid);
    }
  }
}
