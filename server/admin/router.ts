// Admin API under /admin: JSON, authorized by the bootstrap admin client's client-credentials tokens.
// Order per route: require-admin-token → parse-json-body → handler (guard before logic).
import { type ConsentAdminDeps, consentHandlers } from './consent-handlers.ts';
import Router, { type RouterContext } from '@koa/router';
import type { Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { AuditLog } from '../domain/audit/audit-log.ts';
import type { ClientsRepository } from '../domain/clients/clients.repository.ts';
import type { ConnectionsRepository } from '../domain/connections/connections.repository.ts';
import { DomainError } from '../domain/errors.ts';
import type { WebhookService } from '../domain/events/webhook-service.ts';
import type { SigningKeys } from '../domain/keys/key-service.ts';
import type { HeldRedemptionsRepository } from '../domain/loyalty/held-redemptions.repository.ts';
import type { ImportedMembersRepository } from '../domain/loyalty/imported-members.repository.ts';
import type { PartnersRepository } from '../domain/partners/partners.repository.ts';
import type { HookRunner } from '../hooks/hook-runner.ts';
import type { OutboundClient } from '../security/outbound/outbound-fetch.ts';
import { auditHandlers } from './audit-handlers.ts';
import { clientHandlers } from './client-handlers.ts';
import { connectionHandlers } from './connection-handlers.ts';
import { samlServiceProviderHandlers } from './saml-service-provider-handlers.ts';
import { importedMemberHandlers } from './imported-member-handlers.ts';
import { heldRedemptionHandlers } from './held-redemption-handlers.ts';
import { type MergeAdminDeps, mergeHandlers } from './merge-handlers.ts';
import { hookHandlers } from './hook-handlers.ts';
import { importJobHandlers } from './import-job-handlers.ts';
import type { ImportJobs } from '../domain/accounts/import-jobs.ts';
import { keyHandlers } from './key-handlers.ts';
import { memberHandlers, type MemberAdminDeps } from './member-handlers.ts';
import { partnerHandlers } from './partner-handlers.ts';
import { webhookHandlers } from './webhook-handlers.ts';
import { analyticsHandlers } from './analytics-handlers.ts';
import type { AnalyticsRepository } from '../domain/analytics/analytics.repository.ts';
import { jsonBody } from '../middleware/koa-json-body.ts';
import { requireAdminToken } from './koa-require-admin-token.ts';
import { openApiDocument } from './openapi.ts';
import type { MemberSearch } from '../domain/staff/member-search.ts';
import type { PointsAdjustments } from '../domain/staff/points-adjustments.ts';
import type { StaffRepository } from '../domain/staff/staff.repository.ts';
import type { ProfilesRepository } from '../domain/profile/profiles.repository.ts';
import { staffHandlers } from './staff-handlers.ts';
import { memberStaffHandlers } from './member-staff-handlers.ts';
import type { MemberSupport } from '../domain/staff/member-support.ts';
import { memberSupportHandlers } from './member-support-handlers.ts';
import { duplicateHandlers } from './duplicate-handlers.ts';
import type { DuplicateMembers } from '../domain/staff/duplicate-members.ts';

export interface AdminDeps {
  provider: Provider;
  clients: ClientsRepository;
  partners: PartnersRepository;
  importedMembers: ImportedMembersRepository;
  /** SMS_DEFAULT_COUNTRY: reads national phone numbers in imported records. */
  defaultCountry: string | undefined;
  logger: Logger;
  /** Admin changes are recorded here; the audit events route reads it. */
  audit: AuditLog;
  /** Checks the URIs a client registers that this server will call (back-channel logout, jwks_uri, ...). */
  outbound: Pick<OutboundClient, 'targetProblem'>;
  /** POST /admin/keys/rotate. */
  signingKeys: SigningKeys;
  /** /admin/webhooks (issue 18). */
  webhooks: WebhookService;
  /** /admin/analytics and the /admin/events export (issue 18). */
  analytics: AnalyticsRepository;
  /** /admin/hooks: the operator's callouts (issue 18). */
  hooks: HookRunner;
  /** /admin/members: profile summary, data export and erasure (issue 17). */
  members: Omit<MemberAdminDeps, 'audit'>;
  /** /admin/imports: asynchronous member imports (issue 19). */
  importJobs: ImportJobs;
  /** Upstream identity providers (issue 16). */
  connections: ConnectionsRepository;
  /** Reads upstream discovery documents (the partner policy: loopback only outside production). */
  connectionsOutbound: Pick<OutboundClient, 'fetch'>;
  /** Our issuer: connection callback URLs hang under it. */
  issuer: string;
  /** NODE_ENV=production: Google's preset issuer cannot be overridden. */
  production: boolean;
  /** /admin/held-redemptions: redemptions the points-fraud rules held for review (issue 21). */
  heldRedemptions: HeldRedemptionsRepository;
  /** /admin/members/{id}/merge and merge-preview: merging duplicate members (issue 21 item 1). */
  merges: MergeAdminDeps;
  /** Issue 17: the purpose catalogue and members' consent receipts. */
  consents?: ConsentAdminDeps;
  /** Issue 20: staff roles (staff tokens are accepted), the member search and points adjustments. */
  staff: { repository: StaffRepository; search: MemberSearch; adjustments: PointsAdjustments; profiles: Pick<ProfilesRepository, 'find'> };
  /** Issue 20: support actions on a member (factor removal, unblock, redemption freeze). */
  memberSupport: MemberSupport;
  /** Issue 21: likely duplicate members (GET /admin/members/duplicates). */
  duplicates: DuplicateMembers;
}

/**
 * Admin responses are never cached (they carry secrets), and every authorized change is a security
 * event: which client did what, and the outcome (failures included). Never the token or the body: the
 * audit event names the route pattern (`PUT /admin/clients/:id`), not the path, and the status.
 */
function auditAdminActions(logger: Logger, audit: AuditLog) {
  return async (ctx: RouterContext, next: Next) => {
    ctx.set('Cache-Control', 'no-store');
    let status = 0;
    try {
      await next();
      status = ctx.status;
    } catch (error) {
      status = (error as { status?: number }).status ?? 500;
      throw error;
    } finally {
      if (ctx.method !== 'GET' && ctx.state.adminClientId) {
        logger.info({ requestId: ctx.state.requestId, adminClientId: ctx.state.adminClientId, method: ctx.method, path: ctx.path, status }, 'admin action');
        // Awaited (it never throws, and waits at most a moment): the event is queryable once the caller has its answer.
        await audit.record({
          type: 'admin.action',
          ip: ctx.ip,
          userAgent: ctx.get('user-agent'),
          reason: `${ctx.method} ${typeof ctx.routerPath === 'string' ? ctx.routerPath : '(unmatched)'}`,
          details: { status, admin_client_id: String(ctx.state.adminClientId), request_id: String(ctx.state.requestId ?? '') || null, actor: (ctx.state.adminCaller as { actor?: string } | undefined)?.actor ?? null },
        });
      }
    }
  };
}

export function adminRouter(deps: AdminDeps): Router {
  const router = new Router({ prefix: '/admin' });
  const auth = requireAdminToken(deps.provider, { staff: deps.staff.repository, accounts: deps.members.accounts });
  const json = jsonBody();
  const clients = clientHandlers(deps);
  const partners = partnerHandlers(deps.partners);
  const importedMembers = importedMemberHandlers(deps.importedMembers, deps.defaultCountry);
  const audit = auditHandlers(deps.audit);
  const members = memberHandlers({ ...deps.members, audit: deps.audit });
  const connections = connectionHandlers({ connections: deps.connections, outbound: deps.connectionsOutbound, issuer: deps.issuer, production: deps.production });
  const document = openApiDocument();

  router.use(auditAdminActions(deps.logger, deps.audit));

  // Public: describing the API reveals nothing a token would protect.
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  router.post('/clients', auth, json, clients.create);
  router.get('/clients', auth, clients.list);
  router.get('/clients/:id', auth, clients.read);
  router.put('/clients/:id', auth, json, clients.replace);
  router.delete('/clients/:id', auth, clients.remove);
  router.post('/clients/:id/secret', auth, clients.rotateSecret);
  router.post('/partners', auth, json, partners.create);
  router.get('/partners', auth, partners.list);
  router.get('/partners/:id', auth, partners.read);
  // Up to 1,000 records a request: a larger body than the other routes take.
  router.post('/connections', auth, json, connections.create);
  router.get('/connections', auth, connections.list);
  router.get('/connections/:id', auth, connections.read);
  router.patch('/connections/:id', auth, json, connections.patch);
  router.delete('/connections/:id', auth, connections.remove);
  // Partners' SAML service providers (we are their IdP; issue 16 item 5).
  const samlSps = samlServiceProviderHandlers({ clients: deps.clients, partners: deps.partners, issuer: deps.issuer });
  router.post('/saml-service-providers', auth, json, samlSps.create);
  router.get('/saml-service-providers/:id', auth, samlSps.read);
  router.delete('/saml-service-providers/:id', auth, samlSps.remove);
  router.post('/imported-members', auth, jsonBody('1mb'), importedMembers.importMany);
  // The body is streamed to a file by the handler (no body parser): up to IMPORT_MAX_UPLOAD_BYTES.
  const importJobs = importJobHandlers(deps.importJobs);
  router.post('/imports', auth, importJobs.create);
  router.get('/imports/:id', auth, importJobs.read);
  router.get('/imports/:id/report', auth, importJobs.report);
  router.get('/audit-events', auth, audit.list);
  // Issue 20: staff roles, member search and points adjustments (before /members/:id's siblings, same auth).
  const staff = staffHandlers({ staff: deps.staff.repository, accounts: deps.members.accounts, audit: deps.audit });
  router.get('/staff', auth, staff.list);
  router.get('/staff/:id', auth, staff.read);
  router.put('/staff/:id', auth, json, staff.replace);
  const memberStaff = memberStaffHandlers({ accounts: deps.members.accounts, loyalty: deps.members.loyalty, profiles: deps.staff.profiles, staff: deps.staff.repository, search: deps.staff.search, adjustments: deps.staff.adjustments });
  router.get('/members', auth, memberStaff.search);
  // Issue 21: likely duplicates (before /members/:id, which would take "duplicates" for an id).
  router.get('/members/duplicates', auth, duplicateHandlers(deps.duplicates).list);
  router.post('/members/:id/points-adjustments', auth, json, memberStaff.adjust);
  router.get('/members/:id/points-adjustments', auth, memberStaff.pending);
  router.post('/members/:id/points-adjustments/:adjustmentId/approve', auth, memberStaff.approve);
  router.post('/members/:id/points-adjustments/:adjustmentId/reject', auth, memberStaff.reject);
  router.get('/members/:id', auth, members.read);
  router.get('/members/:id/export', auth, members.exportArchive);
  router.delete('/members/:id', auth, members.erase);
  // Issue 20: support actions on a member, each with a reason.
  const support = memberSupportHandlers(deps.memberSupport);
  router.post('/members/:id/factor-removals', auth, json, support.removeFactor);
  router.post('/members/:id/unblock', auth, json, support.unblock);
  router.post('/members/:id/redemption-freeze', auth, json, support.freeze);
  router.delete('/members/:id/redemption-freeze', auth, support.unfreeze);
  if (deps.consents) {
    const consents = consentHandlers(deps.consents);
    router.get('/consent-purposes', auth, consents.purposes);
    router.get('/members/:id/consent-receipts', auth, consents.receipts);
  }
  router.post('/keys/rotate', auth, keyHandlers(deps.signingKeys).rotate);
  const webhooks = webhookHandlers(deps.webhooks);
  router.post('/webhooks', auth, json, webhooks.create);
  router.get('/webhooks', auth, webhooks.list);
  router.get('/webhooks/:id', auth, webhooks.read);
  router.delete('/webhooks/:id', auth, webhooks.remove);
  router.post('/webhooks/:id/secret/rotate', auth, webhooks.rotateSecret);
  router.get('/webhooks/:id/deliveries', auth, webhooks.deliveries);
  router.post('/webhooks/:id/replay', auth, json, webhooks.replay);
  const hooks = hookHandlers(deps.hooks);
  router.post('/hooks', auth, json, hooks.create);
  router.get('/hooks', auth, hooks.list);
  router.get('/hooks/:id', auth, hooks.read);
  router.patch('/hooks/:id', auth, json, hooks.change);
  router.delete('/hooks/:id', auth, hooks.remove);
  const held = heldRedemptionHandlers({ holds: deps.heldRedemptions, audit: deps.audit });
  router.get('/held-redemptions', auth, held.list);
  router.post('/held-redemptions/:id/release', auth, held.release);
  router.post('/held-redemptions/:id/reject', auth, held.reject);
  // Issue 21 item 1: merging a duplicate member into this one.
  const merge = mergeHandlers(deps.merges);
  router.get('/members/:id/merge-preview', auth, merge.preview);
  router.post('/members/:id/merge', auth, json, merge.merge);
  const analytics = analyticsHandlers(deps.analytics);
  router.get('/analytics', auth, analytics.series);
  router.get('/events', auth, analytics.exportEvents);
  // Anything else under /admin is ours too: a JSON 404 rather than falling through to oidc-provider.
  router.all('{/*rest}', () => {
    throw new DomainError('not_found', 'no such admin endpoint');
  });
  return router;
}
