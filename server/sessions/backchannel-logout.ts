// Back-channel logout deliveries we make ourselves, and the retries of every failed one: when we end a
// member's sessions (password reset or change, "Sign out everywhere else"), the partners those sessions
// signed in to are told, as oidc-provider tells them when a member signs out through end_session; otherwise a
// thief's session on a partner site would outlive the reset that ended it here. A delivery that fails (the
// partner is down, answers 500, or its URL is refused by the outbound guard) is audited and tried again a
// bounded number of times in this process, so operators see it and a short outage does not lose it.
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { AuditLog } from '../domain/audit/audit-log.ts';
import type { OidcPayload } from '../domain/oidc/oidc-store.repository.ts';
import type { SessionEndNotifier } from '../domain/oidc/session-end-notifier.ts';
import { describeOutboundFailure } from '../security/outbound/outbound-fetch.ts';

/** What oidc-provider's Client does but its published types leave out (lib/models/client.js). */
interface LogoutCapableClient {
  clientId: string;
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
}

export interface BackchannelLogoutDeps {
  audit: Pick<AuditLog, 'record'>;
  logger: Logger;
  /** Waits before the second, third, ... try (BACKCHANNEL_LOGOUT_RETRY_SECONDS); empty: one try only. */
  retryDelaysMs: number[];
}

export class BackchannelLogout implements SessionEndNotifier {
  private provider: Provider | undefined;
  /** Deliveries (with their retries) still in flight, so shutdown and tests can wait for them. */
  private readonly pending = new Set<Promise<void>>();
  /** Aborted at shutdown: retries still waiting give up rather than hold the process. */
  private readonly stopping = new AbortController();

  private readonly deps: BackchannelLogoutDeps;

  constructor(deps: BackchannelLogoutDeps) {
    this.deps = deps;
  }

  /** The provider exists only after the account service it serves, so it is attached afterwards. */
  attach(provider: Provider): void {
    this.provider = provider;
  }

  /**
   * Sends every client with a back-channel logout URI one logout token per ended session, without making
   * the member wait for partners' endpoints. Outcomes are oidc-provider's own `backchannel.success` and (once
   * every try failed) `backchannel.error` events, without a request; a failure never undoes the sign-out here.
   */
  sessionsEnded(accountId: string, sessions: OidcPayload[]): void {
    for (const session of sessions) {
      const authorizations = (session.authorizations ?? {}) as Record<string, { sid?: string } | undefined>;
      for (const [clientId, authorization] of Object.entries(authorizations)) {
        this.track(this.deliver(clientId, accountId, authorization?.sid, 1, undefined));
      }
    }
  }

  /**
   * Tells these clients the member is signed out (an erased account: every client it had a session or a grant
   * with). `sid` is the session's id at that client when one is known. Same retries and audit as above.
   */
  logoutClients(accountId: string, targets: Array<{ clientId: string; sid: string | undefined }>): void {
    for (const { clientId, sid } of targets) this.track(this.deliver(clientId, accountId, sid, 1, undefined));
  }

  /**
   * end_session's delivery (made by oidc-provider during the request) failed once: audit it and retry in the
   * background with the same schedule as ours.
   */
  retryFailed(clientId: string, accountId: string, sid: string | undefined, error: unknown): void {
    this.track((async () => {
      await this.recordFailure(clientId, accountId, 1, error);
      if (this.deps.retryDelaysMs.length === 0) return;
      await this.deliver(clientId, accountId, sid, 2, undefined);
    })());
  }

  /** Resolves when every delivery started so far (retries included) has been made or given up. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Shutdown: retries still waiting are given up (audited as final); deliveries on the wire finish. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.settled();
  }

  private track(delivery: Promise<void>): void {
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
  }

  /** Try number `attempt` (1-based), then the remaining retries; never throws. */
  private async deliver(clientId: string, accountId: string, sid: string | undefined, attempt: number, lastError: unknown): Promise<void> {
    const provider = this.provider;
    if (!provider) return;
    let error = lastError;
    for (let tryNumber = attempt; ; tryNumber++) {
      if (tryNumber > 1) {
        const delay = this.deps.retryDelaysMs[tryNumber - 2];
        if (delay === undefined || !(await this.wait(delay))) break;
      }
      let client: LogoutCapableClient | undefined;
      try {
        client = (await provider.Client.find(clientId)) as unknown as LogoutCapableClient | undefined;
        // A client deleted or changed meanwhile has nobody left to tell.
        if (!client?.backchannelLogoutUri) return;
        await client.backchannelLogout(accountId, sid);
        provider.emit('backchannel.success', undefined, client, accountId, sid);
        if (tryNumber > 1) this.deps.logger.info({ clientId, attempt: tryNumber }, 'back-channel logout delivered on a retry');
        return;
      } catch (failure) {
        error = failure;
        const final = this.deps.retryDelaysMs[tryNumber - 1] === undefined || this.stopping.signal.aborted;
        await this.recordFailure(clientId, accountId, tryNumber, failure, final);
        if (final) {
          provider.emit('backchannel.error', undefined, failure, client, accountId, sid);
          return;
        }
      }
    }
    // Shutdown cut the wait short: the last failure recorded was not final; say it is now.
    await this.deps.audit.record({ type: 'backchannel_logout.failed', accountId, reason: 'shutdown', details: { client_id: clientId, final: true, error: describeOutboundFailure(error) } });
  }

  private async recordFailure(clientId: string, accountId: string, attempt: number, error: unknown, final = this.deps.retryDelaysMs.length === 0): Promise<void> {
    const reason = describeOutboundFailure(error);
    this.deps.logger.warn({ clientId, attempt, final, reason }, 'back-channel logout delivery failed');
    await this.deps.audit.record({ type: 'backchannel_logout.failed', accountId, reason, details: { client_id: clientId, attempt, final, error: reason } });
  }

  /** False when shutdown interrupted the wait. */
  private wait(ms: number): Promise<boolean> {
    const { signal } = this.stopping;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
