// The operator console's partners and clients (issue 20 item 3): list, create and rename partners; a partner's
// clients, campaigns with their uses and how many members signed in to it (a count, never who); create and edit
// its clients and rotate their secrets (shown once). The rules are the admin API's (ClientRegistration); every
// change checks the role here, on the server, and is audited with the staff member and their reason.
import type { Context } from 'koa';
import { z } from 'zod';
import type { ClientRegistration } from '../../server/domain/clients/client-registration.ts';
import { InvalidClientError, STALE_CLIENT } from '../../server/domain/clients/client-registration.ts';
import type { ClientsRepository, StoredClient } from '../../server/domain/clients/clients.repository.ts';
import { partnerClients } from '../../server/domain/clients/partner-clients.ts';
import type { Campaign, CouponsRepository } from '../../server/domain/coupons/coupons.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { partnerInput } from '../../server/domain/partners/partner-input.ts';
import type { Partner, PartnersRepository } from '../../server/domain/partners/partners.repository.ts';
import { textField } from '../../server/domain/text.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { seeOther } from '../shared/page.ts';
import { renderStaffPage, requireStaffAction, staffMay } from './staff-page.ts';
import { staffOf } from './staff-session.ts';

export interface PartnerPagesDeps {
  partners: Pick<PartnersRepository, 'create' | 'find' | 'list' | 'rename' | 'countMembers'>;
  clients: Pick<ClientsRepository, 'list' | 'find'>;
  coupons: Pick<CouponsRepository, 'list' | 'countUses'>;
  registration: ClientRegistration;
}

const PARTNER_PAGE = 20;
const CAMPAIGN_PAGE = 20;

/** The kinds of client the console offers; each is a fixed set of the admin API's metadata. */
export const CLIENT_KINDS = ['web', 'native', 'kiosk'] as const;
type ClientKind = (typeof CLIENT_KINDS)[number];

/**
 * web: a partner's site (confidential, code flow). native: a mobile app (public: PKCE, no secret, refresh tokens).
 * kiosk: an in-store kiosk (confidential; its pages run in kiosk mode, server/oidc/kiosk-client.ts).
 */
const KIND_METADATA: Record<ClientKind, Record<string, unknown>> = {
  web: { application_type: 'web', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code'] },
  native: { application_type: 'native', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] },
  kiosk: { application_type: 'web', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code'], enrolment_channel: 'kiosk' },
};

function kindOf(client: StoredClient): ClientKind {
  if (client.metadata.enrolment_channel === 'kiosk') return 'kiosk';
  return client.metadata.application_type === 'native' ? 'native' : 'web';
}

const reason = textField(200, 3);
const reasonForm = z.object({ csrf: z.string(), reason });
const partnerForm = z.object({ csrf: z.string(), name: z.string().max(400), reason: z.string().max(400) });
const clientForm = z.object({
  csrf: z.string(),
  client_name: z.string().max(400),
  kind: z.string().max(20).optional(),
  redirect_uris: z.string().max(60_000),
  reason: z.string().max(400),
  version: z.string().regex(/^\d{1,16}$/).optional(),
});

/** One URI a line; blank lines and surrounding spaces do not count (a pasted list often has both). */
function lines(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
}

type FieldErrorEntry = { fieldId: string; messageId: string; params?: Record<string, unknown> };

interface ClientFormState {
  values: { client_name: string; kind: ClientKind; redirect_uris: string; reason: string };
  /** Per field: the messages under it (the redirect URIs may have one per line). */
  errors: Record<string, FieldErrorEntry[]>;
  formError: string | null;
}

const emptyClientForm = (): ClientFormState => ({ values: { client_name: '', kind: 'web', redirect_uris: '', reason: '' }, errors: {}, formError: null });

/** The registration's refusal, field by field, in the console's words; anything it cannot place is a form error. */
function clientErrors(error: InvalidClientError): Pick<ClientFormState, 'errors' | 'formError'> {
  const errors: Record<string, FieldErrorEntry[]> = {};
  let formError: string | null = null;
  const add = (fieldId: string, messageId: string, params?: Record<string, unknown>) => {
    (errors[fieldId] ??= []).push({ fieldId, messageId, ...(params ? { params } : {}) });
  };
  for (const [field, problem] of Object.entries(error.problems)) {
    const line = /^redirect_uris\.(\d+)$/.exec(field);
    if (line) add('redirect_uris', `console.client_error.redirect_${problem}`, { line: Number(line[1]) + 1 });
    else if (field === 'redirect_uris') add('redirect_uris', problem === 'required' ? 'console.client_error.redirect_required' : 'console.client_error.redirect_rejected');
    else if (field === 'client_name') add('client_name', 'console.client_error.name');
    else formError = 'console.client_error.other';
  }
  return { errors, formError };
}

function campaignView(campaign: Campaign, uses: number, now: number) {
  const status = campaign.endedAt !== null || campaign.endsAt.getTime() <= now ? 'ended' : campaign.startsAt.getTime() > now ? 'upcoming' : 'live';
  return {
    id: campaign.id, code: campaign.code, pattern: campaign.codePattern, points: campaign.points, uses, totalLimit: campaign.totalLimit,
    startsAt: campaign.startsAt, endsAt: campaign.endsAt, status,
  };
}

export function partnerPages(deps: InteractionDeps, data: PartnerPagesDeps) {
  const pageOf = renderStaffPage(deps);
  const may = staffMay;
  const requireAction = requireStaffAction;
  const bodyOf = (ctx: Context): Record<string, unknown> => (ctx.request as { body?: Record<string, unknown> }).body ?? {};

  /** Every change is an admin action in the audit log, naming the staff member and their reason. */
  const audit = (ctx: Context, action: string, staffReason: string, details: Record<string, string>) => deps.audit.record({
    type: 'admin.action', ip: ctx.ip, userAgent: ctx.get('user-agent'), reason: `console:${action}`,
    details: { actor: `staff:${staffOf(ctx).accountId}`, staff_reason: staffReason, ...details },
  });

  async function partnerOf(ctx: Context): Promise<Partner> {
    const id = String(ctx.params.id ?? '');
    const partner = id.length <= 64 ? await data.partners.find(id) : undefined;
    if (!partner) throw new DomainError('not_found', 'no such partner');
    return partner;
  }

  /** Only partners' clients are managed here: the program's own (first-party, admin, built-in) are not. */
  async function clientOf(ctx: Context): Promise<{ client: StoredClient; partner: Partner }> {
    const id = String(ctx.params.id ?? '');
    const client = id.length <= 100 ? await data.clients.find(id) : undefined;
    const partnerId = client?.metadata.partner_id;
    const partner = typeof partnerId === 'string' ? await data.partners.find(partnerId) : undefined;
    if (!client || !partner) throw new DomainError('not_found', 'no such partner client');
    return { client, partner };
  }

  async function partnerPage(ctx: Context, options: { renameError?: string | null; form?: { name: string; reason: string }; status?: number } = {}) {
    requireAction(ctx, 'partners:read');
    const partner = await partnerOf(ctx);
    const after = typeof ctx.query.campaigns_after === 'string' && ctx.query.campaigns_after.length <= 64 ? ctx.query.campaigns_after : undefined;
    const campaigns = await data.coupons.list(partner.id, { limit: CAMPAIGN_PAGE + 1, ...(after ? { after } : {}) });
    const shown = campaigns.slice(0, CAMPAIGN_PAGE);
    const now = Date.now();
    const canReadClients = may(ctx, 'clients:read');
    const listed = canReadClients ? await partnerClients(data.clients, partner.id) : { clients: [], complete: true };
    const notice = typeof ctx.query.notice === 'string' && ['partner_created', 'partner_renamed'].includes(ctx.query.notice) ? `console.notice.${ctx.query.notice}` : undefined;
    await pageOf(ctx, 'console/partner', {
      partner,
      members: await data.partners.countMembers(partner.id),
      clients: listed.clients.map((client) => ({ id: client.clientId, name: typeof client.metadata.client_name === 'string' ? client.metadata.client_name : client.clientId, kind: kindOf(client) })),
      clientsComplete: listed.complete,
      campaigns: await Promise.all(shown.map(async (campaign) => campaignView(campaign, await data.coupons.countUses(campaign.id), now))),
      moreCampaigns: campaigns.length > CAMPAIGN_PAGE ? `/console/partners/${encodeURIComponent(partner.id)}?campaigns_after=${encodeURIComponent(shown.at(-1)!.id)}` : null,
      canReadClients,
      canWriteClients: may(ctx, 'clients:write'),
      canRename: may(ctx, 'partners:write'),
      renameError: options.renameError ?? null,
      form: options.form ?? { name: partner.name, reason: '' },
      notice,
    }, options.status ?? 200);
  }

  async function clientPage(ctx: Context, options: { form?: ClientFormState; rotateError?: string; status?: number } = {}) {
    requireAction(ctx, 'clients:read');
    const { client, partner } = await clientOf(ctx);
    const redirectUris = Array.isArray(client.metadata.redirect_uris) ? client.metadata.redirect_uris.map(String) : [];
    const name = typeof client.metadata.client_name === 'string' ? client.metadata.client_name : '';
    const form = options.form ?? { ...emptyClientForm(), values: { client_name: name, kind: kindOf(client), redirect_uris: redirectUris.join('\n'), reason: '' } };
    await pageOf(ctx, 'console/client', {
      client: { id: client.clientId, name, kind: kindOf(client), redirectUris, hasSecret: typeof client.metadata.client_secret === 'string', createdAt: client.createdAt, version: client.updatedAt.getTime() },
      partner: { id: partner.id, name: partner.name },
      canWrite: may(ctx, 'clients:write'),
      form,
      rotateError: options.rotateError ?? null,
      notice: ctx.query.notice === 'client_changed' ? 'console.notice.client_changed' : undefined,
    }, options.status ?? 200);
  }

  /** The page that shows a client's secret: right after its creation or a rotation, never again (no-store, as every page). */
  async function secretPage(ctx: Context, client: { id: string; name: string; partnerId: string }, secret: string | undefined, headingId: string) {
    await pageOf(ctx, 'console/client-secret', { client, secret: secret ?? null, headingId });
  }

  return {
    async list(ctx: Context) {
      requireAction(ctx, 'partners:read');
      const after = typeof ctx.query.after === 'string' && ctx.query.after.length <= 64 ? ctx.query.after : undefined;
      const page = await data.partners.list({ limit: PARTNER_PAGE + 1, ...(after ? { after } : {}) });
      const shown = page.slice(0, PARTNER_PAGE);
      await pageOf(ctx, 'console/partners', {
        partners: shown.map((partner) => ({ id: partner.id, name: partner.name, createdAt: partner.createdAt })),
        next: page.length > PARTNER_PAGE ? `/console/partners?after=${encodeURIComponent(shown.at(-1)!.id)}` : null,
        canCreate: may(ctx, 'partners:write'),
      });
    },

    async newPartner(ctx: Context) {
      requireAction(ctx, 'partners:write');
      await pageOf(ctx, 'console/partner-new', { form: { name: '', reason: '' }, errors: {} });
    },

    async createPartner(ctx: Context) {
      requireAction(ctx, 'partners:write');
      const parsed = partnerForm.safeParse(bodyOf(ctx));
      const form = { name: parsed.success ? parsed.data.name : '', reason: parsed.success ? parsed.data.reason : '' };
      const name = partnerInput.safeParse({ name: form.name });
      const why = reason.safeParse(form.reason);
      if (!name.success || !why.success) {
        const errors = { ...(name.success ? {} : { name: 'console.partner_error.name' }), ...(why.success ? {} : { reason: 'console.error.action_reason' }) };
        return pageOf(ctx, 'console/partner-new', { form, errors }, 400);
      }
      const partner = await data.partners.create({ name: name.data.name });
      await audit(ctx, 'partner_create', why.data, { partner_id: partner.id });
      seeOther(ctx, `/console/partners/${encodeURIComponent(partner.id)}?notice=partner_created`);
    },

    partner: (ctx: Context) => partnerPage(ctx),

    async renamePartner(ctx: Context) {
      requireAction(ctx, 'partners:write');
      const partner = await partnerOf(ctx);
      const parsed = partnerForm.safeParse(bodyOf(ctx));
      const form = { name: parsed.success ? parsed.data.name : '', reason: parsed.success ? parsed.data.reason : '' };
      const name = partnerInput.safeParse({ name: form.name });
      const why = reason.safeParse(form.reason);
      if (!name.success) return partnerPage(ctx, { renameError: 'console.partner_error.name', form, status: 400 });
      if (!why.success) return partnerPage(ctx, { renameError: 'console.error.action_reason', form, status: 400 });
      if (!(await data.partners.rename(partner.id, name.data.name))) throw new DomainError('not_found', 'no such partner');
      await audit(ctx, 'partner_rename', why.data, { partner_id: partner.id });
      seeOther(ctx, `/console/partners/${encodeURIComponent(partner.id)}?notice=partner_renamed`);
    },

    async newClient(ctx: Context) {
      requireAction(ctx, 'clients:write');
      const partner = await partnerOf(ctx);
      await pageOf(ctx, 'console/client-new', { partner, kinds: CLIENT_KINDS, form: emptyClientForm() });
    },

    async createClient(ctx: Context) {
      requireAction(ctx, 'clients:write');
      const partner = await partnerOf(ctx);
      const parsed = clientForm.safeParse(bodyOf(ctx));
      const knownKind = parsed.success && (CLIENT_KINDS as readonly string[]).includes(parsed.data.kind ?? '');
      const kind = knownKind ? parsed.data!.kind as ClientKind : 'web';
      const form: ClientFormState = {
        ...emptyClientForm(),
        values: { client_name: parsed.success ? parsed.data.client_name : '', kind, redirect_uris: parsed.success ? parsed.data.redirect_uris : '', reason: parsed.success ? parsed.data.reason : '' },
      };
      const refuse = () => pageOf(ctx, 'console/client-new', { partner, kinds: CLIENT_KINDS, form }, 400);
      const why = reason.safeParse(form.values.reason);
      // The API lets a client go unnamed; in the console the name is what staff and members recognise it by.
      if (form.values.client_name.trim() === '') form.errors.client_name = [{ fieldId: 'client_name', messageId: 'console.client_error.name' }];
      if (!why.success) form.errors.reason = [{ fieldId: 'reason', messageId: 'console.error.action_reason' }];
      if (!parsed.success || !knownKind) form.formError = 'console.client_error.other';
      if (Object.keys(form.errors).length > 0 || form.formError) return refuse();
      try {
        const { client, secret } = await data.registration.create({
          ...KIND_METADATA[kind], client_name: form.values.client_name.trim(), redirect_uris: lines(form.values.redirect_uris), partner_id: partner.id,
        }, {});
        await audit(ctx, 'client_create', why.data!, { partner_id: partner.id, client_id: client.clientId });
        await secretPage(ctx, { id: client.clientId, name: form.values.client_name.trim(), partnerId: partner.id }, secret, 'console.client_created_heading');
      } catch (error) {
        if (!(error instanceof InvalidClientError)) throw error;
        Object.assign(form, clientErrors(error));
        return refuse();
      }
    },

    client: (ctx: Context) => clientPage(ctx),

    async changeClient(ctx: Context) {
      requireAction(ctx, 'clients:write');
      const { client } = await clientOf(ctx);
      const parsed = clientForm.safeParse(bodyOf(ctx));
      const form: ClientFormState = {
        ...emptyClientForm(),
        values: { client_name: parsed.success ? parsed.data.client_name : '', kind: kindOf(client), redirect_uris: parsed.success ? parsed.data.redirect_uris : '', reason: parsed.success ? parsed.data.reason : '' },
      };
      const why = reason.safeParse(form.values.reason);
      if (form.values.client_name.trim() === '') form.errors.client_name = [{ fieldId: 'client_name', messageId: 'console.client_error.name' }];
      if (!why.success) form.errors.reason = [{ fieldId: 'reason', messageId: 'console.error.action_reason' }];
      if (!parsed.success || parsed.data.version === undefined) form.formError = 'console.client_error.other';
      if (Object.keys(form.errors).length > 0 || form.formError) return clientPage(ctx, { form, status: 400 });
      // Everything else the client was registered with (scopes, logout URI, keys, ...) is kept as it is.
      const { client_secret: _secret, ...metadata } = client.metadata;
      try {
        await data.registration.replace(client.clientId, { ...metadata, client_name: form.values.client_name.trim(), redirect_uris: lines(form.values.redirect_uris) }, {}, Number(parsed.data!.version));
      } catch (error) {
        if (error instanceof InvalidClientError) return clientPage(ctx, { form: { ...form, ...clientErrors(error) }, status: 400 });
        if (error instanceof DomainError && error.code === 'conflict' && error.details?.reason === STALE_CLIENT) {
          return clientPage(ctx, { form: { ...form, formError: 'console.client_error.stale' }, status: 409 });
        }
        throw error;
      }
      await audit(ctx, 'client_change', why.data!, { partner_id: String(client.metadata.partner_id), client_id: client.clientId });
      seeOther(ctx, `/console/clients/${encodeURIComponent(client.clientId)}?notice=client_changed`);
    },

    async rotateSecret(ctx: Context) {
      requireAction(ctx, 'clients:write');
      const { client, partner } = await clientOf(ctx);
      const parsed = reasonForm.safeParse(bodyOf(ctx));
      if (!parsed.success) return clientPage(ctx, { rotateError: 'console.error.action_reason', status: 400 });
      const { secret } = await data.registration.rotateSecret(client.clientId, {});
      await audit(ctx, 'client_secret_rotate', parsed.data.reason, { partner_id: partner.id, client_id: client.clientId });
      await secretPage(ctx, { id: client.clientId, name: String(client.metadata.client_name ?? client.clientId), partnerId: partner.id }, secret, 'console.secret_rotated_heading');
    },
  };
}
