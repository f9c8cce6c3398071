// Microsoft Entra ID's multi-tenant issuer: which tenants a connection accepts, and the issuer an ID token of tenant `tid` must carry.
import { TENANT_PLACEHOLDER } from './connection-settings.ts';

/** The tenant of personal Microsoft accounts (what `consumers` means; `organizations` excludes it). */
export const CONSUMERS_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a token of tenant `tid` may sign in through a connection configured for `tenant` (a GUID or an alias). */
export function tenantAccepted(tenant: string, tid: string): boolean {
  if (!GUID.test(tid)) return false;
  switch (tenant) {
    case 'common': return true;
    case 'organizations': return tid !== CONSUMERS_TENANT_ID;
    case 'consumers': return tid === CONSUMERS_TENANT_ID;
    default: return tid === tenant;
  }
}

/**
 * The issuer an ID token of tenant `tid` must name: the template with that tid. Only a GUID fills it, so a
 * crafted `tid` ("../other") cannot steer the comparison to another issuer.
 */
export function issuerForTenant(template: string, tid: string): string {
  if (!GUID.test(tid)) throw new Error('tid is not a tenant id');
  return template.replace(TENANT_PLACEHOLDER, tid);
}

/**
 * The issuers Entra's discovery document may name for `tenant`: the template itself (common, organizations),
 * or the template with the tenant's own id (a tenant id, and consumers, whose document names its tenant).
 */
export function discoveryIssuers(template: string, tenant: string): string[] {
  const issuers = [template];
  if (GUID.test(tenant)) issuers.push(template.replace(TENANT_PLACEHOLDER, tenant));
  if (tenant === 'consumers') issuers.push(template.replace(TENANT_PLACEHOLDER, CONSUMERS_TENANT_ID));
  return issuers;
}

/** Where the tenant's discovery document lives: the template with the configured tenant (an alias or an id). */
export function discoveryIssuer(template: string, tenant: string): string {
  return template.replace(TENANT_PLACEHOLDER, tenant);
}
