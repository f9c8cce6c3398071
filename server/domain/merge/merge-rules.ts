// What a merge decides from the two members' data, shared by both adapters (inside their transaction or step) and
// the preview, so the preview shows exactly what the merge will do: the survivor's values win, gaps are filled.
import type { Account } from '../accounts/account.ts';
import { requestHash } from '../loyalty/loyalty-service.ts';

/** How long the partner API answers an absorbed member's old sub with the survivor's (issue 21). */
export const MERGE_REDIRECT_DAYS = 90;

/** Which of the absorbed member's sign-in identifiers and credentials the survivor takes. */
export interface IdentifierMoves {
  /**
   * The survivor's email is unverified and the absorbed member's verified: the survivor takes the verified address
   * (its own unverified one is dropped). Otherwise the survivor keeps its email and the absorbed member's address
   * is released (it no longer signs in anywhere; it may sign up again, and duplicate detection would find it).
   */
  email: boolean;
  /** The survivor has no verified phone: it takes the absorbed member's; otherwise that number is released. */
  phone: boolean;
  /** The survivor has no password (passwordless): it takes the absorbed member's password hash. */
  password: boolean;
}

export function identifierMoves(survivor: Pick<Account, 'emailVerified' | 'phone' | 'passwordHash'>, absorbed: Pick<Account, 'emailVerified' | 'phone' | 'passwordHash'>): IdentifierMoves {
  return {
    email: !survivor.emailVerified && absorbed.emailVerified,
    phone: survivor.phone === null && absorbed.phone !== null,
    password: survivor.passwordHash === null && absorbed.passwordHash !== null,
  };
}

export interface ConsentAnswer {
  purpose: string;
  version: number;
  granted: boolean;
}

/**
 * The answers the survivor gets from the merge, one per purpose that changes: a purpose only the absorbed member
 * answered takes that answer; one both answered ends refused if either refused (the stricter choice wins), at the
 * newer of the two versions. Inputs are each member's latest answer per purpose.
 */
export function consentChanges(survivor: readonly ConsentAnswer[], absorbed: readonly ConsentAnswer[]): ConsentAnswer[] {
  const mine = new Map(survivor.map((answer) => [answer.purpose, answer]));
  const changes: ConsentAnswer[] = [];
  for (const theirs of absorbed) {
    const own = mine.get(theirs.purpose);
    if (!own) changes.push({ ...theirs });
    else if (own.granted && !theirs.granted) changes.push({ purpose: own.purpose, version: Math.max(own.version, theirs.version), granted: false });
  }
  return changes.sort((a, b) => a.purpose.localeCompare(b.purpose));
}

/** The latest answer per purpose of a history (oldest first). */
export function latestAnswers(records: ReadonlyArray<ConsentAnswer & { at: Date }>): ConsentAnswer[] {
  const latest = new Map<string, ConsentAnswer>();
  for (const record of records) latest.set(record.purpose, { purpose: record.purpose, version: record.version, granted: record.granted });
  return [...latest.values()];
}

/** Profile fields the survivor lacks (no value) that the absorbed member has: they fill the gaps. */
export function profileGaps(survivor: Record<string, { value: string | null }>, absorbed: Record<string, { value: string | null }>): Record<string, string> {
  const filled: Record<string, string> = {};
  for (const [name, field] of Object.entries(absorbed)) {
    if (field.value !== null && (survivor[name]?.value ?? null) === null) filled[name] = field.value;
  }
  return filled;
}

/** The ledger keys of a merge: one key per merge, one entry on each side. */
export function mergeLedgerKeys(mergeId: string): { out: string; in: string; hash: string } {
  const key = `merge:${mergeId}`;
  return { out: `${key}:out`, in: `${key}:in`, hash: requestHash({ merge: mergeId }) };
}

/**
 * Whether a ledger key is one of a merge's entries on the absorbed member (`merge:<id>:out`, and `:out:<n>` for the
 * points a late post left). On MongoDB the first of them closes the absorbed member's ledger: no entry but the
 * merge's own may follow it (adapters/mongo/loyalty.ts checks the entry it appends after).
 */
export function isMergeOutKey(idempotencyKey: string): boolean {
  return /^merge:[^:]+:out(?::\d+)?$/.test(idempotencyKey);
}

/**
 * Lifetime points the survivor's `adjust` entry carries beyond its own points: the absorbed member's lifetime minus
 * the balance it moves (the adjust counts as earned), so the survivor's lifetime becomes the sum of both.
 */
export function lifetimeCarried(absorbed: { balance: number; lifetimePoints: number }): number {
  return Math.max(0, absorbed.lifetimePoints - absorbed.balance);
}

export const MERGE_ENTRY_REASON = 'Merged duplicate member';
