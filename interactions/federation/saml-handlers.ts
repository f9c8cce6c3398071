// Sign-in through a saml connection: the AuthnRequest (request record), the ACS the IdP posts to, and the return into our interaction.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import { asProtocolConnection } from '../../server/domain/connections/connection-protocols.ts';
import type { SamlConnectionSettings } from '../../server/domain/connections/saml-connection-settings.ts';
import { newSamlRequestId } from '../../server/domain/connections/upstream-saml.ts';
import { UpstreamSignInFailed, type UpstreamIdentity } from '../../server/domain/connections/upstream-oidc.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { renderPage, seeOther } from '../shared/page.ts';

/** oidc-provider-store model names: the pending AuthnRequest (by RelayState) and the checked answer handed to the interaction. */
const REQUEST_MODEL = 'UpstreamSamlRequest';
const HANDOFF_MODEL = 'UpstreamSamlAnswer';
/** As the OIDC state: long enough for a password and an MFA code at the IdP. */
const REQUEST_TTL_SECONDS = 15 * 60;
/** The ACS redirects straight on: the handoff is read within a second, five minutes is generous. */
const HANDOFF_TTL_SECONDS = 5 * 60;
/** RelayState and handoff values we make: 32 random bytes, base64url (RelayState stays under SAML's 80 bytes). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const requestRecord = z.object({ uid: z.string(), connectionId: z.string(), requestId: z.string(), createdAt: z.number() });
const identityRecord = z.object({
  subject: z.string(),
  email: z.string().optional(),
  emailVerified: z.boolean(),
  amr: z.array(z.string()),
  acr: z.string().optional(),
  claims: z.record(z.string(), z.unknown()),
});
const handoffRecord = z.object({
  uid: z.string(),
  connectionId: z.string(),
  /** The checked identity, or why the answer was refused (the member sees a plain message on the sign-in page). */
  identity: identityRecord.optional(),
  failure: z.enum(['failed', 'cancelled']).optional(),
});
type HandoffRecord = z.infer<typeof handoffRecord>;

const token = () => randomBytes(32).toString('base64url');

export interface SamlHandlerHelpers {
  backToSignIn(ctx: Context, uid: string, info: string): void;
  failed(ctx: Context, connectionId: string, reason: string): Promise<unknown>;
  /** The linking rules and the end of the sign-in, shared with the OIDC callback. */
  conclude(ctx: Context, uid: string, connection: { id: string; settings: SamlConnectionSettings }, identity: UpstreamIdentity): Promise<void>;
}

export function samlHandlers(deps: InteractionDeps, helpers: SamlHandlerHelpers) {
  const federation = deps.federation;

  async function handOff(ctx: Context, record: HandoffRecord): Promise<void> {
    const id = token();
    await federation.oidcStore.upsert(HANDOFF_MODEL, id, { ...record }, HANDOFF_TTL_SECONDS);
    seeOther(ctx, `/interaction/${encodeURIComponent(record.uid)}/connections/${encodeURIComponent(record.connectionId)}/saml?handoff=${id}`);
  }

  async function loadSaml(id: string): Promise<{ id: string; settings: SamlConnectionSettings } | undefined> {
    const stored = await federation.connections.find(id);
    const connection = stored && asProtocolConnection(stored);
    return connection?.protocol === 'saml' ? { id: connection.id, settings: connection.settings } : undefined;
  }

  return {
    /**
     * "Continue with" a saml connection: a request record bound to this interaction and connection, found again by
     * the RelayState (the ACS is a cross-site POST: SameSite cookies do not come with it), then the AuthnRequest.
     */
    async start(ctx: Context, connection: { id: string; name: string; settings: SamlConnectionSettings }): Promise<void> {
      const { uid } = ctx.state.interaction as InteractionDetails;
      const relayState = token();
      const requestId = newSamlRequestId();
      await federation.oidcStore.upsert(REQUEST_MODEL, relayState, { uid, connectionId: connection.id, requestId, createdAt: Date.now() }, REQUEST_TTL_SECONDS);
      const request = await federation.saml.begin(connection.id, connection.settings, requestId, relayState);
      if (request.binding === 'redirect') return seeOther(ctx, request.url);
      // An IdP that only takes HTTP-POST: a form posted on arrival by the shared auto-send script (a button without JavaScript).
      await renderPage(ctx, deps, 'federation/saml-post', { action: request.action, fields: request.fields, connectionName: connection.name });
    },

    /** GET /connections/:id/saml/metadata — our SP metadata for this connection (entity id, ACS), for the IdP's operator. */
    async metadata(ctx: Context) {
      const connection = await loadSaml(String(ctx.params.id));
      if (!connection) throw new DomainError('not_found', 'no such saml connection');
      ctx.type = 'application/samlmetadata+xml';
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = await federation.saml.metadata(connection.id, connection.settings);
    },

    /**
     * POST /connections/:id/saml/acs — the IdP's Response (HTTP-POST binding). The pending request is found by
     * RelayState and spent at once (single use); the Response is checked against it here, and only the verdict
     * travels to the interaction (by a one-time handoff id), where the interaction cookie binds the browser.
     */
    async acs(ctx: Context) {
      const body = (ctx.request.body ?? {}) as { SAMLResponse?: unknown; RelayState?: unknown };
      const relayState = typeof body.RelayState === 'string' && TOKEN_SHAPE.test(body.RelayState) ? body.RelayState : undefined;
      const parsed = requestRecord.safeParse(relayState ? await federation.oidcStore.find(REQUEST_MODEL, relayState) : undefined);
      const connectionId = String(ctx.params.id);
      if (!parsed.success) {
        // Unsolicited (IdP-initiated), expired, replayed or forged: no interaction to return to.
        await helpers.failed(ctx, connectionId, 'unknown_request');
        throw new DomainError('invalid_input', 'unknown, expired or used SAML request');
      }
      await federation.oidcStore.destroy(REQUEST_MODEL, relayState!);
      const pending = parsed.data;
      const refuse = async (reason: string, failure: 'failed' | 'cancelled' = 'failed') => {
        await helpers.failed(ctx, connectionId, reason);
        await handOff(ctx, { uid: pending.uid, connectionId: pending.connectionId, failure });
      };
      // A request made for one connection answered at another's ACS is a mix-up, whatever the Response says.
      if (pending.connectionId !== connectionId) return refuse('state_mismatch');
      const connection = await loadSaml(connectionId);
      if (!connection || typeof body.SAMLResponse !== 'string' || body.SAMLResponse.length === 0) return refuse('invalid_response');

      let identity;
      try {
        identity = await federation.saml.finish(connection.id, connection.settings, body.SAMLResponse, { requestId: pending.requestId, createdAt: pending.createdAt });
      } catch (error) {
        if (!(error instanceof UpstreamSignInFailed)) throw error;
        return refuse(error.reason);
      }
      // Remembered until the assertion expires: the same assertion posted again (by anyone) signs nobody in.
      if (await federation.samlAssertionIds.remember(connection.id, identity.assertionId, identity.notOnOrAfter) === 'replayed') return refuse('replayed');
      const { assertionId: _id, notOnOrAfter: _until, ...checked } = identity;
      await handOff(ctx, { uid: pending.uid, connectionId, identity: checked });
    },

    /** GET /interaction/:uid/connections/:id/saml — the ACS's verdict, in our interaction (single use). */
    async finish(ctx: Context) {
      const { uid } = ctx.state.interaction as InteractionDetails;
      const connectionId = String(ctx.params.id);
      const id = typeof ctx.query.handoff === 'string' && TOKEN_SHAPE.test(ctx.query.handoff) ? ctx.query.handoff : undefined;
      const parsed = handoffRecord.safeParse(id ? await federation.oidcStore.find(HANDOFF_MODEL, id) : undefined);
      if (id && parsed.success) await federation.oidcStore.destroy(HANDOFF_MODEL, id);
      if (!parsed.success || parsed.data.uid !== uid || parsed.data.connectionId !== connectionId) {
        await helpers.failed(ctx, connectionId, 'state_mismatch');
        return helpers.backToSignIn(ctx, uid, 'federation.error.failed');
      }
      const { identity, failure } = parsed.data;
      if (!identity) return helpers.backToSignIn(ctx, uid, failure === 'cancelled' ? 'federation.error.cancelled' : 'federation.error.failed');
      const connection = await loadSaml(connectionId);
      if (!connection) return helpers.backToSignIn(ctx, uid, 'federation.error.failed');
      await helpers.conclude(ctx, uid, connection, { ...identity, email: identity.email, acr: identity.acr });
    },
  };
}
