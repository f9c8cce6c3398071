// When we end a member's sessions ourselves (password reset or change, "Sign out everywhere else"), the
// partners those sessions signed in to are told by back-channel logout, as oidc-provider tells them when a
// member signs out through end_session: otherwise a thief's session on a partner site would outlive the
// reset that ended it here.
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { OidcPayload } from '../domain/oidc/oidc-store.repository.ts';
import type { SessionEndNotifier } from '../domain/oidc/session-end-notifier.ts';

/** What oidc-provider's Client does but its published types leave out (lib/models/client.js). */
interface LogoutCapableClient {
  backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
}

export class BackchannelLogout implements SessionEndNotifier {
  private readonly logger: Logger;
  private provider: Provider | undefined;
  /** Deliveries still in flight, so shutdown and tests can wait for them. */
  private readonly pending = new Set<Promise<void>>();

  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** The provider exists only after the account service it serves, so it is attached afterwards. */
  attach(provider: Provider): void {
    this.provider = provider;
  }

  /**
   * Sends every client with a back-channel logout URI one logout token per ended session, without making
   * the member wait for partners' endpoints; a failed delivery is logged (oidc-provider gives up after
   * its HTTP timeout) and never undoes the sign-out here.
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
    try {
      const client = await this.provider?.Client.find(clientId);
      if (!client?.backchannelLogoutUri) return;
      await (client as unknown as LogoutCapableClient).backchannelLogout(accountId, sid);
    } catch (error) {
      this.logger.warn({ err: error, clientId }, 'back-channel logout delivery failed');
    }
  }
}
