// Safe linking of upstream identities to members (issue 16 item 3): by (connection, subject) only, never silently by email.
import { ACR } from '../../../config/assurance.ts';
import type { Account } from '../accounts/account.ts';
import type { AccountService } from '../accounts/account-service.ts';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import { isValidEmail, normaliseEmail } from '../accounts/email-address.ts';
import { DomainError } from '../errors.ts';
import type { LoyaltyService } from '../loyalty/loyalty-service.ts';
import type { ProfileService } from '../profile/profile-service.ts';
import type { OidcConnectionSettings } from './connection-settings.ts';
import type { FederatedIdentitiesRepository, FederatedIdentity } from './federated-identities.repository.ts';
import type { UpstreamIdentity } from './upstream-oidc.ts';

/** What the linking rules read of a connection's settings (every kind has them: oidc, saml, ...). */
export type LinkingSettings = Pick<OidcConnectionSettings, 'claim_mapping' | 'trusted_email' | 'trusted_mfa'>;

/** The connection a sign-in came through, as the linking rules need it. */
export interface SignInConnection {
  id: string;
  settings: LinkingSettings;
}

export type FederatedOutcome =
  /** A linked identity (or a new member the upstream's trusted, verified email created): sign in. */
  | { kind: 'signed_in'; accountId: string; amr: string[]; acr: string }
  /**
   * A new member (or an address nobody proved) whose email we must verify ourselves: a code was sent. The link
   * is made only once the code is right (linkAfterVerification), so an unproven address never carries a link.
   */
  | { kind: 'verify_email'; accountId: string; email: string }
  /** A member already has this email: nothing is linked until that member proves the account (never silently). */
  | { kind: 'existing_member'; email: string }
  /** A new upstream identity without a usable email: no member can be made from it. */
  | { kind: 'no_email' };

export interface FederatedSignInDeps {
  accounts: AccountsRepository;
  accountService: Pick<AccountService, 'sendVerificationCode'>;
  loyalty: Pick<LoyaltyService, 'ensureMember'>;
  profiles: Pick<ProfileService, 'fillEmpty'>;
  links: FederatedIdentitiesRepository;
}

/** An upstream's word that a second factor was used: `mfa` in amr (RFC 8176), or an acr naming MFA. */
function upstreamSaysMfa(identity: UpstreamIdentity): boolean {
  return identity.amr.includes('mfa') || (identity.acr !== undefined && /mfa|multi|loa:?[23]|aal[23]/i.test(identity.acr));
}

/**
 * `amr` ["fed"] (+ "mfa" only when the connection is trusted for MFA and the upstream says so); acr loa:1
 * (one factor class) unless the trusted upstream says MFA, then loa:2.
 */
export function assuranceOf(settings: LinkingSettings, identity: UpstreamIdentity): { amr: string[]; acr: string } {
  const mfa = settings.trusted_mfa && upstreamSaysMfa(identity);
  return { amr: mfa ? ['fed', 'mfa'] : ['fed'], acr: mfa ? ACR.twoFactors : ACR.oneFactor };
}

export class FederatedSignIn {
  private readonly deps: FederatedSignInDeps;

  constructor(deps: FederatedSignInDeps) {
    this.deps = deps;
  }

  /** Mapped claims fill the member's EMPTY profile fields (fillEmpty never overwrites what the member entered). */
  private async fillProfile(accountId: string, settings: LinkingSettings, identity: UpstreamIdentity): Promise<void> {
    const values: Record<string, string> = {};
    for (const [field, claim] of Object.entries(settings.claim_mapping)) {
      const value = identity.claims[claim];
      if (typeof value === 'string' && value.trim()) values[field] = value.trim();
    }
    if (Object.keys(values).length) await this.deps.profiles.fillEmpty(accountId, values);
  }

  private signedIn(accountId: string, connection: SignInConnection, identity: UpstreamIdentity): FederatedOutcome {
    return { kind: 'signed_in', accountId, ...assuranceOf(connection.settings, identity) };
  }

  /** Links the pair to the account, or refuses when it was linked meanwhile to anyone (a race of two callbacks). */
  private async link(connection: SignInConnection, identity: UpstreamIdentity, accountId: string): Promise<void> {
    const linked = await this.deps.links.link({ connectionId: connection.id, subject: identity.subject, accountId });
    if (linked === 'taken') {
      const existing = await this.deps.links.find(connection.id, identity.subject);
      if (existing?.accountId !== accountId) throw new DomainError('conflict', 'this upstream identity is already linked to another member');
    }
  }

  async resolve(connection: SignInConnection, identity: UpstreamIdentity): Promise<FederatedOutcome> {
    const linked = await this.deps.links.find(connection.id, identity.subject);
    if (linked) {
      const account = await this.deps.accounts.findById(linked.accountId);
      if (!account) throw new DomainError('not_found', 'the linked member no longer exists');
      await this.fillProfile(account.id, connection.settings, identity);
      return this.signedIn(account.id, connection, identity);
    }

    const email = identity.email === undefined ? '' : normaliseEmail(identity.email);
    if (!isValidEmail(email)) return { kind: 'no_email' };
    const trustedVerified = connection.settings.trusted_email && identity.emailVerified;
    let account: Account | undefined = await this.deps.accounts.findByEmail(email);

    // A member's proven address: even a verified upstream email never links on its own (account takeover by
    // an upstream that lets anyone claim any address, or a recycled address at the upstream).
    if (account?.emailVerified) return { kind: 'existing_member', email };

    if (account) {
      // Nobody proved this address: as with a second sign-up, the newest wins and an earlier password set by
      // whoever typed it (a pre-hijacking attempt) goes.
      account = await this.deps.accounts.update(account.id, { passwordHash: null, ...(trustedVerified ? { emailVerified: true } : {}) });
    } else {
      try {
        account = await this.deps.accounts.create({ email, emailVerified: trustedVerified, passwordHash: null });
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'duplicate')) throw error;
        // A concurrent sign-up of the same address won the race: decide again against it.
        return this.resolve(connection, identity);
      }
    }
    if (!account) throw new DomainError('conflict', 'account vanished during sign-up');
    await this.deps.loyalty.ensureMember(account.id, 'web', 'social');

    if (trustedVerified) {
      await this.link(connection, identity, account.id);
      await this.fillProfile(account.id, connection.settings, identity);
      return this.signedIn(account.id, connection, identity);
    }
    await this.deps.accountService.sendVerificationCode(account);
    return { kind: 'verify_email', accountId: account.id, email };
  }

  /**
   * "Link another" from the account page: the upstream identity the signed-in member just brought back is
   * linked to them. One already linked to another member stays where it is (`taken`): never moved silently.
   */
  async linkToMember(accountId: string, connection: SignInConnection, identity: UpstreamIdentity): Promise<'linked' | 'already_yours' | 'taken'> {
    const result = await this.deps.links.link({ connectionId: connection.id, subject: identity.subject, accountId });
    if (result === 'taken') {
      const existing = await this.deps.links.find(connection.id, identity.subject);
      return existing?.accountId === accountId ? 'already_yours' : 'taken';
    }
    await this.fillProfile(accountId, connection.settings, identity);
    return 'linked';
  }

  /** The member's linked upstream identities (the account-security page). */
  links(accountId: string): Promise<FederatedIdentity[]> {
    return this.deps.links.listByAccount(accountId);
  }

  /** Removes one of the member's links (the caller checked it is not their last way in). */
  unlink(accountId: string, connectionId: string, subject: string): Promise<boolean> {
    return this.deps.links.unlink(accountId, connectionId, subject);
  }

  /**
   * After our own email code proved the address of an account made (or taken over) from this upstream identity
   * in this interaction: the link is made now, the claims fill the empty fields.
   */
  async linkAfterVerification(accountId: string, connection: SignInConnection, identity: Pick<UpstreamIdentity, 'subject' | 'claims'>): Promise<void> {
    const full: UpstreamIdentity = { ...identity, email: undefined, emailVerified: false, amr: [], acr: undefined };
    await this.link(connection, full, accountId);
    await this.fillProfile(accountId, connection.settings, full);
  }
}
