// Our SAML IdP endpoints for partners' SPs: metadata, SSO (SP-initiated, Redirect or POST), IdP-initiated start, and the return from our OIDC sign-in with the signed Response.
import { createHash, randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { Context } from 'koa';
import { z } from 'zod';
import { pairwiseSubject, sectorOf } from '../../config/pairwise.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { samlClientId, samlServiceProviderSettings, scopesFor, type SamlServiceProviderSettings } from '../../server/domain/saml-idp/saml-service-provider.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import type { SamlIdpDeps } from './saml-idp-deps.ts';

/** oidc-provider-store model of a pending SAML sign-in (by the OIDC state it rides on). */
const PENDING_MODEL = 'SamlIdpSignIn';
/** As long as an interaction may last (the member may sign up on the way). */
const PENDING_TTL_SECONDS = 60 * 60;
const STATE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const pendingRecord = z.object({
  clientId: z.string(),
  requestId: z.string().optional(),
  acsUrl: z.string(),
  relayState: z.string().optional(),
});
type Pending = z.infer<typeof pendingRecord>;

/** The loaded registration of an SP: its backing client (partner, name) and its SAML settings. */
interface Registration {
  clientId: string;
  name: string;
  settings: SamlServiceProviderSettings;
}

/** A relay state is the SP's own opaque value; SAML bounds it to 80 bytes. */
const relayStateOf = (value: unknown) => (typeof value === 'string' && value.length > 0 && Buffer.byteLength(value) <= 80 ? value : undefined);

/** The Issuer of an AuthnRequest, only to find which SP's settings parse it (samlify then checks it matches). */
function issuerOf(xml: string): string | undefined {
  return /<(?:[A-Za-z0-9_-]+:)?Issuer\b[^>]*>\s*([^<\s]+)\s*</.exec(xml)?.[1];
}

function decodeRequest(samlRequest: string, deflated: boolean): string {
  try {
    const raw = Buffer.from(samlRequest, 'base64');
    return (deflated ? inflateRawSync(raw, { maxOutputLength: 256 * 1024 }) : raw).toString('utf8');
  } catch (error) {
    throw new DomainError('invalid_input', 'unreadable SAMLRequest', { cause: error });
  }
}

/** The redirect binding's signed string: the raw (still URL-encoded) parameters in the binding's order (SAML bindings §3.4.4.1). */
function octetStringOf(querystring: string): string {
  const raw = new Map(querystring.split('&').map((pair) => [pair.split('=')[0]!, pair] as const));
  return ['SAMLRequest', 'RelayState', 'SigAlg'].map((name) => raw.get(name)).filter((pair): pair is string => pair !== undefined).join('&');
}

export function samlIdpHandlers(deps: InteractionDeps, saml: SamlIdpDeps) {
  const returnUrl = `${saml.issuer}/saml/idp/return`;

  async function registration(clientId: string): Promise<Registration | undefined> {
    const stored = await saml.clients.find(clientId);
    const settings = samlServiceProviderSettings.safeParse(stored?.metadata.saml_sp);
    if (!stored || !settings.success) return undefined;
    return { clientId: stored.clientId, name: String(stored.metadata.client_name ?? stored.clientId), settings: settings.data };
  }

  /** Records the pending SAML sign-in and sends the member through our OIDC authorization (sign-in pages, consent). */
  async function authorize(ctx: Context, sp: Registration, pending: Omit<Pending, 'clientId'>): Promise<void> {
    const state = randomBytes(32).toString('base64url');
    await saml.oidcStore.upsert(PENDING_MODEL, state, { clientId: sp.clientId, ...pending }, PENDING_TTL_SECONDS);
    // The backing client is public (PKCE required); the code never leaves this server, so the verifier is not kept.
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    const url = new URL(`${saml.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: sp.clientId, response_type: 'code', redirect_uri: returnUrl, scope: scopesFor(sp.settings).join(' '), state,
      code_challenge: challenge, code_challenge_method: 'S256',
    }).toString();
    seeOther(ctx, url.href);
  }

  /** SP-initiated: the AuthnRequest of a registered SP, its ACS one of the registered ones. */
  async function sso(ctx: Context, via: 'redirect' | 'post') {
    const fields = (via === 'redirect' ? ctx.query : (ctx.request.body ?? {})) as Record<string, unknown>;
    if (typeof fields.SAMLRequest !== 'string' || !fields.SAMLRequest) throw new DomainError('invalid_input', 'no SAMLRequest');
    const issuer = issuerOf(decodeRequest(fields.SAMLRequest, via === 'redirect'));
    const sp = issuer ? await registration(samlClientId(issuer)) : undefined;
    if (!sp) throw new DomainError('invalid_input', 'unknown SAML service provider');
    const strings = Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    const parsed = await saml.idp.parseRequest(sp.settings, via, via === 'redirect' ? { query: strings, octetString: octetStringOf(ctx.querystring) } : { body: strings });
    // Only a registered ACS: an AuthnRequest naming another would send the member's assertion elsewhere.
    if (parsed.acsUrl !== undefined && !sp.settings.acs_urls.includes(parsed.acsUrl)) throw new DomainError('invalid_input', 'AssertionConsumerServiceURL is not registered for this service provider');
    const relayState = relayStateOf(fields.RelayState);
    await authorize(ctx, sp, { requestId: parsed.requestId, acsUrl: parsed.acsUrl ?? sp.settings.acs_urls[0]!, ...(relayState ? { relayState } : {}) });
  }

  return {
    /** GET /saml/idp/metadata — our IdP metadata (entity id, SSO endpoints, signing certificate). */
    async metadata(ctx: Context) {
      ctx.type = 'application/samlmetadata+xml';
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = await saml.idp.metadata();
    },

    ssoRedirect: (ctx: Context) => sso(ctx, 'redirect'),
    ssoPost: (ctx: Context) => sso(ctx, 'post'),

    /** GET /saml/idp/initiate/:id — IdP-initiated sign-in to a registered SP (its default ACS, no InResponseTo). */
    async initiate(ctx: Context) {
      const sp = await registration(String(ctx.params.id));
      if (!sp) throw new DomainError('not_found', 'no such SAML service provider');
      const relayState = relayStateOf(ctx.query.RelayState);
      await authorize(ctx, sp, { acsUrl: sp.settings.acs_urls[0]!, ...(relayState ? { relayState } : {}) });
    },

    /**
     * GET /saml/idp/return — our authorization answered (the member signed in and consented): the code is read
     * and spent here (it never leaves this server), and the SP gets a signed Response by an auto-posted form:
     * NameID pairwise for its partner, attributes only those registered AND consented to.
     */
    async back(ctx: Context) {
      const state = typeof ctx.query.state === 'string' && STATE_SHAPE.test(ctx.query.state) ? ctx.query.state : undefined;
      const parsed = pendingRecord.safeParse(state ? await saml.oidcStore.find(PENDING_MODEL, state) : undefined);
      if (!state || !parsed.success) throw new DomainError('invalid_input', 'unknown, expired or used SAML sign-in');
      await saml.oidcStore.destroy(PENDING_MODEL, state);
      const pending = parsed.data;
      if (typeof ctx.query.error === 'string') throw new DomainError('forbidden', 'the sign-in for the SAML service provider was not completed');
      const code = typeof ctx.query.code === 'string' ? await deps.provider.AuthorizationCode.find(ctx.query.code) : undefined;
      if (!code || code.clientId !== pending.clientId || code.redirectUri !== returnUrl || !code.isValid || !code.accountId) throw new DomainError('invalid_input', 'invalid authorization code');
      await code.consume();
      const sp = await registration(pending.clientId);
      const client = await deps.provider.Client.find(pending.clientId);
      if (!sp || !client) throw new DomainError('not_found', 'no such SAML service provider');

      const granted = new Set(String(code.scope ?? '').split(' '));
      const account = await saml.findAccount(code.accountId);
      if (!account) throw new DomainError('not_found', 'the member no longer exists');
      const claims = await account.claims('id_token', [...granted].join(' '), {}, []);
      const attributes: Record<string, string> = {};
      for (const attribute of sp.settings.attributes) {
        const scope = Object.entries(saml.claimsByScope).find(([, names]) => names.includes(attribute))?.[0];
        const value = claims[attribute];
        if (!scope || !granted.has(scope) || value === undefined || value === null || typeof value === 'object') continue;
        attributes[attribute] = String(value);
      }
      const SAMLResponse = await saml.idp.respond(sp.settings, {
        requestId: pending.requestId,
        acsUrl: pending.acsUrl,
        // The same derivation as this partner's OIDC pairwise `sub`: one member, one identifier per partner.
        nameId: pairwiseSubject(saml.pairwiseSalt, sectorOf(client), code.accountId),
        attributes,
        authnInstant: new Date((code.authTime ?? Math.floor(Date.now() / 1000)) * 1000),
        authnContext: code.acr ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
      });
      await renderPage(ctx, deps, 'federation/saml-post', {
        action: pending.acsUrl, connectionName: sp.name,
        fields: { SAMLResponse, ...(pending.relayState ? { RelayState: pending.relayState } : {}) },
      });
    },
  };
}
