// The staff roles a member can carry (issue 20): the names only; what each may do is in permissions.ts.
import { z } from 'zod';

export const STAFF_ROLES = ['owner', 'support', 'partner-manager', 'security', 'viewer'] as const;

export type StaffRole = (typeof STAFF_ROLES)[number];

export const staffRole = z.enum(STAFF_ROLES);

/** Sorted, without repeats: the stored form, so two grants of the same set compare equal. */
export function normaliseRoles(roles: readonly StaffRole[]): StaffRole[] {
  return STAFF_ROLES.filter((role) => roles.includes(role));
}
