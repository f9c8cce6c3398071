// "Apps and partners" (issue 17 item 2): what each client or partner a member signed in to receives, since when
// and when it was last used; and "Stop sharing", which takes all of it back: grants, tokens, consent memory, the
// partner's link (so the partner API answers 404), with a back-channel logout and a `grant.revoked` event.
import { createHash } from 'node:crypto';
import { grantRevokedEvent } from '../events/domain-event.ts';
import type { OidcPayload, OidcStore } from '../oidc/oidc-store.repository.ts';
import type { AppSharingRepository, ClientUse } from './app-sharing.repository.ts';
import type { StoredConsent } from './consents.repository.ts';
import type { PartnerMemberLink } from '../partners/partners.repository.ts';

/** Every model holding something a grant gave a client: all of the member's go when they stop sharing. */
const TOKEN_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest'] as const;
/** Scopes that are never a member's to give (client credentials only). */
const HIDDEN_SCOPES = new Set(['admin']);
/** The order the page lists what a client receives: who you are, your details, your points, then the rest. */
const SCOPE_ORDER = ['openid', 'profile', 'email', 'phone', 'address', 'loyalty', 'loyalty:redeem', 'offline_access'];
const scopeRank = (scope: string) => (SCOPE_ORDER.includes(scope) ? SCOPE_ORDER.indexOf(scope) : SCOPE_ORDER.length);

export interface AppClient {
  clientId: string;
  name: string;
  partnerId: string | null;
  logoUri: string | undefined;
  /** The program's own app (client metadata first_party): it never shows the consent page. */
  firstParty: boolean;
}

export interface AppEntry {
  /** What the page's forms name: `partner:<id>` (every client of a partner) or `client:<id>` (one without). */
  key: string;
  /** The partner's name, or the client's; null when neither is known any more (the page says so in words). */
  name: string | null;
  partnerId: string | null;
  /** Every client it covers is the program's own: signing in there again gives access again without asking. */
  firstParty: boolean;
  /** The clients it covers, with the one whose logo the page shows first. */
  clientIds: string[];
  logoClient: { clientId: string; logoUri: string | undefined } | null;
  /** OIDC and resource scopes granted, unique, in a stable order. */
  scopes: string[];
  /** Claims granted one by one (the claims parameter). */
  claims: string[];
  since: Date | null;
  lastUsedAt: Date | null;
  /**
   * Changes whenever what is shared is granted anew (consent, link, first use): the Stop form carries it, so a
   * replayed form after the member signed in and consented again changes nothing.
   */
  stamp: string;
}

export interface AppSharingDeps {
  repository: AppSharingRepository;
  oidc: OidcStore;
  findClient(clientId: string): Promise<AppClient | undefined>;
  partnerName(partnerId: string): Promise<string | undefined>;
  /** Tells clients the member is signed out (server/sessions/backchannel-logout.ts). */
  logout: { logoutClients(accountId: string, targets: Array<{ clientId: string; sid: string | undefined }>): void };
  /** Our own clients (the account pages' console): never listed. */
  hiddenClientIds: readonly string[];
  now?: () => Date;
}

export type StopOutcome = { status: 'stopped'; entry: AppEntry } | { status: 'not_found' };

interface Gathered {
  clientId: string;
  consent?: StoredConsent;
  use?: ClientUse;
  grants: OidcPayload[];
}

const words = (scope: unknown): string[] => (typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []);
const earliest = (dates: Array<Date | null | undefined>): Date | null =>
  dates.reduce<Date | null>((min, date) => (date && (!min || date < min) ? date : min), null);

export class AppSharing {
  private readonly deps: AppSharingDeps;
  private readonly now: () => Date;
  /** Stops in progress in this process, by member and entry. */
  private readonly stopping = new Set<string>();

  constructor(deps: AppSharingDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  /** Recorded at the token endpoint (server/oidc/koa-client-use.ts): a sign-in or a refresh at the client. */
  recordUse(accountId: string, clientId: string): Promise<void> {
    if (this.deps.hiddenClientIds.includes(clientId)) return Promise.resolve();
    return this.deps.repository.recordUse(accountId, clientId, this.now());
  }

  /** The member's apps and partners, most recently used first. */
  async list(accountId: string): Promise<AppEntry[]> {
    const [consents, uses, links, grants] = await Promise.all([
      this.deps.repository.listConsents(accountId),
      this.deps.repository.listUses(accountId),
      this.deps.repository.listPartnerLinks(accountId),
      this.deps.oidc.findByAccountId('Grant', accountId),
    ]);
    const byClient = new Map<string, Gathered>();
    const gathered = (clientId: string): Gathered => {
      let entry = byClient.get(clientId);
      if (!entry) byClient.set(clientId, (entry = { clientId, grants: [] }));
      return entry;
    };
    for (const consent of consents) gathered(consent.clientId).consent = consent;
    for (const use of uses) gathered(use.clientId).use = use;
    for (const { payload } of grants) if (typeof payload.clientId === 'string') gathered(payload.clientId).grants.push(payload);

    const groups = new Map<string, { partnerId: string | null; clients: Array<{ client: AppClient; data: Gathered }> }>();
    for (const data of byClient.values()) {
      if (this.deps.hiddenClientIds.includes(data.clientId)) continue;
      // A client deleted since has nothing left to revoke at it; its partner (below) still has the link.
      const client = await this.deps.findClient(data.clientId);
      if (!client) continue;
      const key = client.partnerId ? `partner:${client.partnerId}` : `client:${client.clientId}`;
      const group = groups.get(key) ?? { partnerId: client.partnerId, clients: [] };
      group.clients.push({ client, data });
      groups.set(key, group);
    }
    const linkOf = new Map<string, PartnerMemberLink>(links.map((link) => [link.partnerId, link]));
    // A partner that still sees the member through its link, though none of its clients is listed.
    for (const link of links) if (!groups.has(`partner:${link.partnerId}`)) groups.set(`partner:${link.partnerId}`, { partnerId: link.partnerId, clients: [] });

    const entries: AppEntry[] = [];
    for (const [key, group] of groups) {
      const link = group.partnerId ? linkOf.get(group.partnerId) : undefined;
      const partnerName = group.partnerId ? await this.deps.partnerName(group.partnerId) : undefined;
      const clients = group.clients.sort((a, b) => a.client.name.localeCompare(b.client.name));
      const scopes = new Set<string>(words(link?.scope));
      const claims = new Set<string>();
      for (const { data } of clients) {
        for (const scope of data.consent?.scopes ?? []) scopes.add(scope);
        for (const resource of data.consent?.resources ?? []) for (const scope of resource.scopes) scopes.add(scope);
        for (const claim of data.consent?.claims ?? []) claims.add(claim);
        for (const grant of data.grants) {
          const openid = grant.openid as { scope?: unknown; claims?: unknown } | undefined;
          for (const scope of words(openid?.scope)) scopes.add(scope);
          if (Array.isArray(openid?.claims)) for (const claim of openid.claims) if (typeof claim === 'string') claims.add(claim);
          for (const scope of Object.values((grant.resources ?? {}) as Record<string, unknown>).flatMap(words)) scopes.add(scope);
        }
      }
      const grantDates = clients.flatMap(({ data }) => data.grants.map((grant) => (typeof grant.iat === 'number' ? new Date(grant.iat * 1000) : null)));
      const firstUses = clients.map(({ data }) => data.use?.firstUsedAt);
      const lastUses = clients.map(({ data }) => data.use?.lastUsedAt).filter((date): date is Date => date instanceof Date);
      // The current sharing began at the first sign-in or link since the member last stopped it; consent memory
      // older than use tracking is the fallback.
      const since = earliest([...firstUses, link?.linkedAt, ...grantDates]) ?? earliest(clients.map(({ data }) => data.consent?.updatedAt));
      // Everything here starts afresh when the member shares again after stopping (grants, uses, link, consent).
      const stampParts = [
        key,
        `since:${since?.getTime() ?? '-'}`,
        link ? `link:${link.linkedAt.getTime()}` : '',
        ...clients.map(({ data }) => `${data.clientId}:${data.consent?.updatedAt.getTime() ?? '-'}:${data.use?.firstUsedAt.getTime() ?? '-'}`),
      ];
      const logo = clients.find(({ client }) => client.logoUri)?.client ?? null;
      entries.push({
        key,
        name: partnerName ?? clients[0]?.client.name ?? null,
        partnerId: group.partnerId,
        firstParty: clients.length > 0 && clients.every(({ client }) => client.firstParty),
        clientIds: clients.map(({ client }) => client.clientId),
        logoClient: logo ? { clientId: logo.clientId, logoUri: logo.logoUri } : null,
        scopes: [...scopes].filter((scope) => !HIDDEN_SCOPES.has(scope)).sort((a, b) => scopeRank(a) - scopeRank(b) || a.localeCompare(b)),
        claims: [...claims].sort(),
        since,
        lastUsedAt: lastUses.length ? new Date(Math.max(...lastUses.map((date) => date.getTime()))) : null,
        stamp: createHash('sha256').update(stampParts.join('\n')).digest('base64url').slice(0, 22),
      });
    }
    return entries.sort((a, b) => (b.lastUsedAt?.getTime() ?? 0) - (a.lastUsedAt?.getTime() ?? 0) || (a.name ?? '').localeCompare(b.name ?? ''));
  }

  /**
   * Stops sharing with one of the member's entries, named by its key and the stamp the page showed: another
   * member's client, a made-up key or a form replayed after the member shared again is not_found, nothing changed.
   */
  async stopSharing(accountId: string, key: string, stamp: string): Promise<StopOutcome> {
    // A double click sends the form twice: the second waits for nothing and changes nothing (one event, one audit).
    const flight = `${accountId}\0${key}`;
    if (this.stopping.has(flight)) return { status: 'not_found' };
    this.stopping.add(flight);
    try {
      return await this.stop(accountId, key, stamp);
    } finally {
      this.stopping.delete(flight);
    }
  }

  private async stop(accountId: string, key: string, stamp: string): Promise<StopOutcome> {
    const entry = (await this.list(accountId)).find((candidate) => candidate.key === key);
    if (!entry || entry.stamp !== stamp) return { status: 'not_found' };
    const clientIds = new Set(entry.clientIds);
    // Whom to tell, read before the grants that say so go: each session's sid at each of the clients.
    const targets = new Map<string, string | undefined>(entry.clientIds.map((clientId) => [clientId, undefined]));
    const sessions = await this.deps.oidc.findByAccountId('Session', accountId);
    const perSession: Array<{ clientId: string; sid: string | undefined }> = [];
    for (const { payload } of sessions) {
      for (const [clientId, authorization] of Object.entries((payload.authorizations ?? {}) as Record<string, { sid?: unknown } | undefined>)) {
        if (!clientIds.has(clientId)) continue;
        targets.delete(clientId);
        perSession.push({ clientId, sid: typeof authorization?.sid === 'string' ? authorization.sid : undefined });
      }
    }
    await this.revokeTokens(accountId, clientIds);
    const time = this.now();
    await this.deps.repository.withdraw({
      accountId,
      clientIds: entry.clientIds,
      partnerId: entry.partnerId,
      events: entry.clientIds.map((clientId) => grantRevokedEvent(accountId, clientId, time, entry.partnerId)),
    });
    // A sign-in at the client racing this one may have made a grant from the consent memory before it went.
    await this.revokeTokens(accountId, clientIds);
    this.deps.logout.logoutClients(accountId, [...perSession, ...[...targets.keys()].map((clientId) => ({ clientId, sid: undefined }))]);
    return { status: 'stopped', entry };
  }

  /** The member's grants at these clients with every token and code they gave, and any token left without one. */
  private async revokeTokens(accountId: string, clientIds: ReadonlySet<string>): Promise<void> {
    const { oidc } = this.deps;
    const ofClients = ({ payload }: { payload: OidcPayload }) => typeof payload.clientId === 'string' && clientIds.has(payload.clientId);
    for (const grant of (await oidc.findByAccountId('Grant', accountId)).filter(ofClients)) {
      for (const model of TOKEN_MODELS) await oidc.revokeByGrantId(model, grant.id);
      await oidc.destroy('Grant', grant.id);
    }
    for (const model of TOKEN_MODELS) {
      for (const token of (await oidc.findByAccountId(model, accountId)).filter(ofClients)) await oidc.destroy(model, token.id);
    }
  }
}

/** A stored client as the page needs it (its name falls back to its id, as on the consent page). */
export function appClientOf(stored: { clientId: string; metadata: Record<string, unknown> } | undefined): AppClient | undefined {
  if (!stored) return undefined;
  const { client_name: name, partner_id: partnerId, logo_uri: logoUri, first_party: firstParty } = stored.metadata;
  return {
    clientId: stored.clientId,
    name: typeof name === 'string' && name ? name : stored.clientId,
    partnerId: typeof partnerId === 'string' ? partnerId : null,
    logoUri: typeof logoUri === 'string' ? logoUri : undefined,
    firstParty: firstParty === true,
  };
}
