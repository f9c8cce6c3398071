// The one permissions matrix (issue 20): which staff role may do which action, which admin route is which
// action, and how many points each role may adjust without a second person. Roles are interpreted nowhere else.
import type { StaffRole } from './staff-roles.ts';

export const STAFF_ACTIONS = [
  'staff:read', 'staff:manage',
  'members:read', 'members:export', 'members:erase', 'members:adjust_points', 'members:approve_adjustment',
  'members:end_sessions', 'members:resend_verification', 'members:merge',
  'clients:read', 'clients:write', 'partners:read', 'partners:write',
  'connections:read', 'connections:write', 'imports:write', 'imports:read',
  'audit:read', 'keys:rotate', 'webhooks:read', 'webhooks:write', 'hooks:read', 'hooks:write',
  'analytics:read', 'events:export', 'consents:read', 'redemptions:read', 'redemptions:review',
  'members:remove_factor', 'members:unblock', 'members:freeze_redemptions',
] as const;

export type StaffAction = (typeof STAFF_ACTIONS)[number];

const READ_ONLY: StaffAction[] = ['members:read', 'clients:read', 'partners:read', 'connections:read', 'webhooks:read', 'hooks:read', 'analytics:read', 'consents:read', 'redemptions:read'];

/**
 * owner: everything. support: find and help members. partner-manager: partners and clients.
 * security: the audit log, keys and the identity plumbing (read), blocks, the review of held redemptions.
 * viewer: reads that carry no secrets. Analytics (counts only) and the purpose catalogue are open to every role;
 * the raw event export (members' subjects) is the owner's alone. Support helps a member out of trouble (removes a
 * lost factor, lifts sign-in blocks, freezes redemptions of a taken-over account, starts an erasure the member asked
 * for); security lifts sign-in blocks too.
 */
const MATRIX: Record<StaffRole, ReadonlySet<StaffAction>> = {
  owner: new Set(STAFF_ACTIONS),
  support: new Set<StaffAction>(['members:read', 'members:export', 'members:adjust_points', 'members:approve_adjustment', 'members:end_sessions', 'members:resend_verification', 'members:merge', 'analytics:read', 'consents:read', 'redemptions:read',
    'members:erase', 'members:remove_factor', 'members:unblock', 'members:freeze_redemptions']),
  'partner-manager': new Set<StaffAction>(['clients:read', 'clients:write', 'partners:read', 'partners:write', 'analytics:read', 'consents:read']),
  security: new Set<StaffAction>(['staff:read', 'members:read', 'members:end_sessions', 'audit:read', 'keys:rotate', 'connections:read', 'webhooks:read', 'hooks:read', 'imports:read', 'analytics:read', 'consents:read', 'redemptions:read', 'redemptions:review',
    'members:unblock']),
  viewer: new Set<StaffAction>(READ_ONLY),
};

export function mayDo(roles: readonly StaffRole[], action: StaffAction): boolean {
  return roles.some((role) => MATRIX[role].has(action));
}

/**
 * Points a role may add or take away in one adjustment on its own; above it, another staff member with
 * `members:approve_adjustment` must approve. The admin client-credentials token has no limit (as before).
 */
const ADJUSTMENT_LIMIT: Record<StaffRole, number> = { owner: 100_000, support: 1_000, 'partner-manager': 0, security: 0, viewer: 0 };

export function adjustmentLimit(roles: readonly StaffRole[]): number {
  return Math.max(0, ...roles.map((role) => ADJUSTMENT_LIMIT[role]));
}

/**
 * Every admin route (method and router pattern) and the action it needs. A route missing here is refused to
 * every staff token (default deny) and open only to the admin client: adding a route means adding its line.
 */
export const ADMIN_ROUTE_ACTIONS: Readonly<Record<string, StaffAction>> = {
  'POST /admin/clients': 'clients:write',
  'GET /admin/clients': 'clients:read',
  'GET /admin/clients/:id': 'clients:read',
  'PUT /admin/clients/:id': 'clients:write',
  'DELETE /admin/clients/:id': 'clients:write',
  'POST /admin/clients/:id/secret': 'clients:write',
  'POST /admin/partners': 'partners:write',
  'GET /admin/partners': 'partners:read',
  'GET /admin/partners/:id': 'partners:read',
  'POST /admin/connections': 'connections:write',
  'GET /admin/connections': 'connections:read',
  'GET /admin/connections/:id': 'connections:read',
  'PATCH /admin/connections/:id': 'connections:write',
  'DELETE /admin/connections/:id': 'connections:write',
  'POST /admin/imported-members': 'imports:write',
  'POST /admin/imports': 'imports:write',
  'GET /admin/imports/:id': 'imports:read',
  'GET /admin/imports/:id/report': 'imports:read',
  'GET /admin/audit-events': 'audit:read',
  'GET /admin/members': 'members:read',
  'GET /admin/members/duplicates': 'members:read',
  'GET /admin/members/:id': 'members:read',
  'GET /admin/members/:id/export': 'members:export',
  'DELETE /admin/members/:id': 'members:erase',
  'POST /admin/members/:id/points-adjustments': 'members:adjust_points',
  'GET /admin/members/:id/points-adjustments': 'members:read',
  'POST /admin/members/:id/points-adjustments/:adjustmentId/approve': 'members:approve_adjustment',
  'POST /admin/members/:id/points-adjustments/:adjustmentId/reject': 'members:approve_adjustment',
  'POST /admin/keys/rotate': 'keys:rotate',
  'POST /admin/webhooks': 'webhooks:write',
  'GET /admin/webhooks': 'webhooks:read',
  'GET /admin/webhooks/:id': 'webhooks:read',
  'DELETE /admin/webhooks/:id': 'webhooks:write',
  'POST /admin/webhooks/:id/secret/rotate': 'webhooks:write',
  'GET /admin/webhooks/:id/deliveries': 'webhooks:read',
  'POST /admin/webhooks/:id/replay': 'webhooks:write',
  'POST /admin/hooks': 'hooks:write',
  'GET /admin/hooks': 'hooks:read',
  'GET /admin/hooks/:id': 'hooks:read',
  'PATCH /admin/hooks/:id': 'hooks:write',
  'DELETE /admin/hooks/:id': 'hooks:write',
  'GET /admin/staff': 'staff:read',
  'GET /admin/staff/:id': 'staff:read',
  'PUT /admin/staff/:id': 'staff:manage',
  // Partners' SAML service providers are partner clients.
  'POST /admin/saml-service-providers': 'clients:write',
  'GET /admin/saml-service-providers/:id': 'clients:read',
  'DELETE /admin/saml-service-providers/:id': 'clients:write',
  'GET /admin/consent-purposes': 'consents:read',
  'GET /admin/members/:id/consent-receipts': 'members:read',
  'GET /admin/held-redemptions': 'redemptions:read',
  'POST /admin/held-redemptions/:id/release': 'redemptions:review',
  'POST /admin/held-redemptions/:id/reject': 'redemptions:review',
  'GET /admin/analytics': 'analytics:read',
  'GET /admin/events': 'events:export',
  // Issue 20: support actions on a member, each with a reason.
  'POST /admin/members/:id/factor-removals': 'members:remove_factor',
  'POST /admin/members/:id/unblock': 'members:unblock',
  'POST /admin/members/:id/redemption-freeze': 'members:freeze_redemptions',
  'DELETE /admin/members/:id/redemption-freeze': 'members:freeze_redemptions',
  // Issue 21 item 1: merging duplicate members (support and owner); the preview is a read.
  'GET /admin/members/:id/merge-preview': 'members:read',
  'POST /admin/members/:id/merge': 'members:merge',
};

export function actionForRoute(method: string, pattern: string): StaffAction | undefined {
  return ADMIN_ROUTE_ACTIONS[`${method} ${pattern}`];
}
