// Sign-in through an upstream connection: start (state record + redirect), the fixed callback, and the return into our interaction.
import type { Context } from 'koa';
import { z } from 'zod';
import { ACR } from '../../config/assurance.ts';
import { oidcConnectionSettings } from '../../server/domain/connections/connection-settings.ts';
import { linkingSettingsOf } from '../../server/domain/connections/connection-protocols.ts';
import type { SignInConnection } from '../../server/domain/connections/federated-sign-in.ts';
import { UpstreamSignInFailed, type UpstreamIdentity } from '../../server/domain/connections/upstream-oidc.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { postLogin, renderHookRefusal } from '../shared/hook-callouts.ts';
import { inKioskMode } from '../shared/koa-kiosk-mode.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { rememberLanguage } from '../shared/remember-language.ts';
import { connectionRedirectUri } from '../../server/admin/connection-handlers.ts';
import { connectionsForClient, type ShownConnection } from './connection-buttons.ts';
import type { FederationDeps } from './federation-deps.ts';
import { samlHandlers } from './saml-handlers.ts';

/** oidc-provider-store model name of the state records. */
export const STATE_MODEL = 'UpstreamSignIn';
/** Long enough to type a password and an MFA code at the upstream; short enough that a leaked state soon dies. */
export const STATE_TTL_SECONDS = 15 * 60;

const stateRecord = z.object({
  /** The sign-in's interaction; absent for a link started from the account page (`link`). */
  uid: z.string().optional(),
  /** "Link another" on the account page: the member and the session that started it (interactions/account/link-account.ts). */
  link: z.object({ accountId: z.string(), sessionId: z.string() }).optional(),
  connectionId: z.string(), nonce: z.string(), codeVerifier: z.string(),
  /** A form_post answer (Apple), kept here so its code never travels in a URL: the callback's parameters. */
  answer: z.record(z.string(), z.string()).optional(),
});
export type StateRecord = z.infer<typeof stateRecord>;

/** What a form_post answer may carry (Apple adds `user`, its name on the first sign-in), each bounded. */
const FORM_POST_FIELDS = ['code', 'state', 'iss', 'error', 'error_description', 'user'] as const;
const FORM_POST_FIELD_LIMIT = 4000;

/** The state value as the upstream echoes it: what openid-client's randomState makes (base64url, 43 characters). */
const STATE_SHAPE = /^[A-Za-z0-9_-]{16,128}$/;

export async function readState(deps: FederationDeps, state: string | undefined): Promise<StateRecord | undefined> {
  if (!state || !STATE_SHAPE.test(state)) return undefined;
  const parsed = stateRecord.safeParse(await deps.oidcStore.find(STATE_MODEL, state));
  return parsed.success ? parsed.data : undefined;
}

/** The upstream's answer: a form_post connection's is the one its POST kept (a code in the URL is not its answer). */
export function callbackAnswer(settings: { response_mode?: string | undefined }, record: StateRecord, state: string, querystring: string): URLSearchParams {
  if (settings.response_mode === 'form_post') return new URLSearchParams(record.answer ?? { state, error: 'invalid_request' });
  return new URLSearchParams(querystring);
}

/** A cookie holds about 4 kB: a few short profile values (names, a postal code) fit beside the rest. */
const MAX_KEPT_CLAIMS = 8;
const MAX_KEPT_CLAIM_LENGTH = 100;

/**
 * The mapped claims' values, kept in the flow until the link is made after our code or the member's proof:
 * some upstreams send them once only (Apple's name). Bounded: it rides in the flow cookie.
 */
function keptClaims(settings: { claim_mapping: Record<string, string> }, claims: Record<string, unknown>): { claims?: Record<string, string> } {
  const kept: Record<string, string> = {};
  for (const claim of Object.values(settings.claim_mapping).slice(0, MAX_KEPT_CLAIMS)) {
    const value = claims[claim];
    if (typeof value === 'string' && value.trim() && value.length <= MAX_KEPT_CLAIM_LENGTH) kept[claim] = value;
  }
  return Object.keys(kept).length ? { claims: kept } : {};
}

/** Where a state's flow goes on: the sign-in's interaction, or the account page that started a link. */
function flowPath(record: StateRecord, connectionId: string): string {
  if (record.link || record.uid === undefined) return `/account/linked/callback/${encodeURIComponent(connectionId)}`;
  return `/interaction/${encodeURIComponent(record.uid)}/connections/${encodeURIComponent(connectionId)}/callback`;
}

/** Signs the member in through the interaction: the same bookkeeping as every other way in. */
async function completeSignIn(ctx: Context, deps: InteractionDeps, accountId: string, method: string, assurance: { amr: string[]; acr: string; ts?: number }): Promise<string | undefined> {
  // The operator's post-login hook decides here as for every other way in (deny, step-up, claims).
  const hooked = await postLogin(ctx, deps, { accountId, acr: assurance.acr, amr: assurance.amr, ts: assurance.ts ?? Math.floor(Date.now() / 1000) }, method);
  if ('refused' in hooked) {
    await renderHookRefusal(ctx, deps, hooked.refused);
    return undefined;
  }
  await deps.profiles.recordSignIn(accountId);
  await rememberLanguage(ctx, deps, accountId, 'sign_in');
  await deps.signIns.signedInWith(accountId, ctx.state.deviceHash as string | undefined, method);
  const { login } = hooked;
  return deps.provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId, acr: login.acr, amr: login.amr, remember: !inKioskMode(ctx), ts: login.ts },
  }, { mergeWithLastSubmission: false });
}

/**
 * After our email code proved the address of a member made from an upstream identity in this interaction
 * (verification/handlers.ts): the link is made now and the member is signed in through the upstream, whose
 * answer this interaction already checked. Undefined when the connection is gone (then: the sign-in page);
 * null when the post-login hook refused the sign-in (its page is already the answer).
 */
export async function linkAfterVerification(ctx: Context, deps: InteractionDeps, accountId: string, link: { connectionId: string; subject: string; claims?: Record<string, string> }): Promise<string | null | undefined> {
  const stored = await deps.federation.connections.find(link.connectionId);
  const settings = linkingSettingsOf(stored);
  if (!stored || !settings) return undefined;
  await deps.federation.signIn.linkAfterVerification(accountId, { id: stored.id, settings }, { subject: link.subject, claims: link.claims ?? {} });
  // The upstream's MFA word is not kept across the code page: one factor class, as a fresh sign-up is.
  return (await completeSignIn(ctx, deps, accountId, `connection_${stored.id}`, { amr: ['fed'], acr: ACR.oneFactor })) ?? null;
}

/**
 * Called by a sign-in method once it proved `accountId` in this interaction: when the interaction carries an
 * upstream identity waiting for this very member's account (same email), the sign-in waits for the member's
 * answer on the link page instead of completing. True when it redirected there.
 */
export async function offerLink(ctx: Context, deps: InteractionDeps, accountId: string, proof: { amr: string[]; acr: string; ts: number }): Promise<boolean> {
  const location = await linkOfferLocation(ctx, deps, accountId, proof);
  if (location) seeOther(ctx, location);
  return location !== undefined;
}

/**
 * offerLink for a sign-in answered in JSON (the passkey, public/passkey.js follows `location`): the link page's
 * path when the interaction carries an upstream identity waiting for this member's account, else undefined.
 */
export async function linkOfferLocation(ctx: Context, deps: InteractionDeps, accountId: string, proof: { amr: string[]; acr: string; ts: number }): Promise<string | undefined> {
  const { uid } = ctx.state.interaction as InteractionDetails;
  const { pendingLink } = deps.flow.read(ctx, uid);
  if (!pendingLink) return undefined;
  const account = await deps.accounts.findById(accountId);
  if (!account || account.email !== pendingLink.email) return undefined;
  deps.flow.write(ctx, uid, { pendingLink, linkProof: { accountId, ...proof } });
  return `/interaction/${uid}/connections/link`;
}

export function federationHandlers(deps: InteractionDeps) {
  const federation: FederationDeps = deps.federation;
  /** Back to our sign-in page with a plain message (the upstream's cancel or failure): nothing was created. */
  const backToSignIn = (ctx: Context, uid: string, info: string, email?: string) => {
    deps.flow.write(ctx, uid, { info, ...(email ? { email } : {}) });
    seeOther(ctx, `/interaction/${uid}`);
  };

  /** A refused upstream answer is a security event: which connection and why (never a code, token or claim). */
  const failed = (ctx: Context, connectionId: string, reason: string) => deps.audit.record({
    type: 'sign_in.failure', ip: ctx.ip, userAgent: ctx.get('user-agent'), reason: `connection_${reason}`, details: { connection_id: connectionId.slice(0, 100) },
  });

  /** The linking rules' verdict on a checked upstream identity (OIDC callback or SAML ACS), and where the member goes next. */
  async function conclude(ctx: Context, uid: string, connection: SignInConnection, identity: UpstreamIdentity): Promise<void> {
    const outcome = await federation.signIn.resolve(connection, identity);
    switch (outcome.kind) {
      case 'signed_in': {
        const to = await completeSignIn(ctx, deps, outcome.accountId, `connection_${connection.id}`, outcome);
        return to ? seeOther(ctx, to) : undefined;
      }
      case 'verify_email':
        // Our email code first; the link is made only once it is right (verification/handlers.ts).
        deps.flow.write(ctx, uid, { accountId: outcome.accountId, email: outcome.email, federatedLink: { connectionId: connection.id, subject: identity.subject, ...keptClaims(connection.settings, identity.claims) } });
        return seeOther(ctx, `/interaction/${uid}/verify`);
      case 'existing_member':
        // Never linked silently: the member signs in to the account they already have (password, passkey or
        // emailed code), then confirms the link on its own page (offerLink, linkPage).
        deps.flow.write(ctx, uid, { email: outcome.email, info: 'federation.info.link_existing', pendingLink: { connectionId: connection.id, subject: identity.subject, email: outcome.email, ...keptClaims(connection.settings, identity.claims) } });
        return seeOther(ctx, `/interaction/${uid}`);
      case 'no_email':
        return backToSignIn(ctx, uid, 'federation.error.no_email');
    }
  }

  const saml = samlHandlers(deps, { backToSignIn, failed, conclude });

  /** Records the state (bound to this interaction and connection) and sends the member to the upstream. */
  async function startWith(ctx: Context, connection: ShownConnection, extra: Record<string, string> = {}): Promise<void> {
    // SAML: an AuthnRequest instead (no login_hint in the Web SSO profile).
    if (connection.protocol === 'saml') return saml.start(ctx, connection);
    const { uid } = ctx.state.interaction as InteractionDetails;
    const redirectUri = connectionRedirectUri(federation.issuer, connection.id);
    const { url, request } = await federation.upstream.begin(connection.settings, redirectUri, extra);
    const record: StateRecord = { uid, connectionId: connection.id, nonce: request.nonce, codeVerifier: request.codeVerifier };
    await federation.oidcStore.upsert(STATE_MODEL, request.state, { ...record }, STATE_TTL_SECONDS);
    seeOther(ctx, url.href);
  }

  /** The link page's state: a pending upstream identity and the sign-in that proved its member, or undefined (→ sign-in page). */
  function pendingProof(ctx: Context) {
    const { uid } = ctx.state.interaction as InteractionDetails;
    const { pendingLink, linkProof } = deps.flow.read(ctx, uid);
    if (!pendingLink || !linkProof) {
      seeOther(ctx, `/interaction/${uid}`);
      return undefined;
    }
    return { uid, pendingLink, linkProof };
  }

  return {
    startWith,
    samlMetadata: saml.metadata,
    samlAcs: saml.acs,
    samlFinish: saml.finish,

    /** GET /interaction/:uid/connections/link — "Link <name> to your account?" after the member proved it. */
    async linkPage(ctx: Context) {
      const state = pendingProof(ctx);
      if (!state) return;
      const connection = await federation.connections.find(state.pendingLink.connectionId);
      if (!connection) {
        const to = await completeSignIn(ctx, deps, state.linkProof.accountId, 'password', state.linkProof);
        return to ? seeOther(ctx, to) : undefined;
      }
      await renderPage(ctx, deps, 'federation/link', { action: `/interaction/${state.uid}/connections/link`, connectionName: connection.name });
    },

    /** POST /interaction/:uid/connections/link — link (or not now); either way the proven sign-in completes. */
    async linkDecision(ctx: Context) {
      const state = pendingProof(ctx);
      if (!state) return;
      const decision = (ctx.request.body as { decision?: unknown } | undefined)?.decision;
      const stored = await federation.connections.find(state.pendingLink.connectionId);
      const settings = linkingSettingsOf(stored);
      if (decision === 'link' && stored && settings) {
        // Taken meanwhile (the same upstream identity linked elsewhere in a race): the sign-in still completes, unlinked.
        await federation.signIn.linkAfterVerification(state.linkProof.accountId, { id: stored.id, settings }, { subject: state.pendingLink.subject, claims: state.pendingLink.claims ?? {} })
          .catch((error: unknown) => {
            if (!(error instanceof DomainError && error.code === 'conflict')) throw error;
          });
      }
      deps.flow.write(ctx, state.uid, {});
      const to = await completeSignIn(ctx, deps, state.linkProof.accountId, state.linkProof.amr.join('_'), state.linkProof);
      if (to) seeOther(ctx, to);
    },

    /** POST /interaction/:uid/connections/:id — a "Continue with" button. Only connections this client shows. */
    async start(ctx: Context) {
      const connection = (await connectionsForClient(ctx, federation.connections)).find((shown) => shown.id === ctx.params.id);
      if (!connection) throw new DomainError('not_found', 'no such connection for this client');
      await startWith(ctx, connection);
    },

    /**
     * GET /connections/:id/callback — the redirect URI registered at the upstream. It is outside the interaction
     * path (where oidc-provider's interaction cookie lives), so it only finds the interaction by the state and
     * hands the answer on; everything is checked there, with that cookie binding the browser.
     */
    async callback(ctx: Context) {
      const state = typeof ctx.query.state === 'string' ? ctx.query.state : undefined;
      const record = await readState(federation, state);
      if (!record) throw new DomainError('invalid_input', 'unknown, expired or used sign-in state');
      seeOther(ctx, `${flowPath(record, String(ctx.params.id))}?${ctx.querystring}`);
    },

    /**
     * POST /connections/:id/callback — a form_post answer (Apple). The upstream's page posts it cross-site, so
     * our SameSite=Lax cookies are not sent and no CSRF token can come with it: like the GET callback it only
     * finds the flow by its state (unguessable, single use, bound to the interaction and connection), keeps the
     * answer in the state record, and sends the browser on with nothing but the state in the URL. That top-level
     * GET carries the interaction cookie again, and finish checks everything there as for a GET answer.
     */
    async formPostCallback(ctx: Context) {
      const body = (ctx.request.body ?? {}) as Record<string, unknown>;
      const state = typeof body.state === 'string' ? body.state : undefined;
      const record = await readState(federation, state);
      if (!record || record.connectionId !== String(ctx.params.id)) throw new DomainError('invalid_input', 'unknown, expired or used sign-in state');
      const stored = await federation.connections.find(record.connectionId);
      const settings = stored && oidcConnectionSettings.safeParse(stored.settings);
      if (!settings?.success || settings.data.response_mode !== 'form_post') throw new DomainError('invalid_input', 'this connection does not answer by form post');
      // The first answer for a state is the one kept: a second post (a replay) cannot replace it.
      if (!record.answer) {
        const answer: Record<string, string> = {};
        for (const field of FORM_POST_FIELDS) {
          const value = body[field];
          if (typeof value === 'string' && value.length <= FORM_POST_FIELD_LIMIT) answer[field] = value;
        }
        await federation.oidcStore.upsert(STATE_MODEL, state!, { ...record, answer }, STATE_TTL_SECONDS);
      }
      seeOther(ctx, `${flowPath(record, record.connectionId)}?state=${encodeURIComponent(state!)}`);
    },

    /** GET /interaction/:uid/connections/:id/callback — the upstream's answer, in our interaction. */
    async finish(ctx: Context) {
      const { uid } = ctx.state.interaction as InteractionDetails;
      const connectionId = String(ctx.params.id);
      const state = typeof ctx.query.state === 'string' ? ctx.query.state : undefined;
      const record = await readState(federation, state);
      // Single use: gone before anything else, so a replayed answer (or a second tab) finds nothing.
      if (state && record) await federation.oidcStore.destroy(STATE_MODEL, state);
      // The state must be this interaction's, for this connection: another connection's state arriving here is
      // a mix-up (RFC 9700 §4.4), whatever the answer says.
      if (!record || record.uid !== uid || record.connectionId !== connectionId) {
        await failed(ctx, connectionId, 'state_mismatch');
        return backToSignIn(ctx, uid, 'federation.error.failed');
      }
      const stored = await federation.connections.find(connectionId);
      const settings = stored && oidcConnectionSettings.safeParse(stored.settings);
      if (!stored || !settings?.success) return backToSignIn(ctx, uid, 'federation.error.failed');
      const connection = { id: stored.id, settings: settings.data };

      // A form_post connection's answer is the one its POST kept; a code in this URL is not its answer.
      const answer = callbackAnswer(settings.data, record, state!, ctx.querystring);
      let identity;
      try {
        identity = await federation.upstream.finish(settings.data, connectionRedirectUri(federation.issuer, connectionId), answer, { ...record, state: state! });
      } catch (error) {
        if (!(error instanceof UpstreamSignInFailed)) throw error;
        await failed(ctx, connectionId, error.reason);
        return backToSignIn(ctx, uid, error.reason === 'cancelled' ? 'federation.error.cancelled' : 'federation.error.failed');
      }

      return conclude(ctx, uid, connection, identity);
    },
  };
}
