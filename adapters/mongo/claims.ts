// Single-use claims for the Mongo adapter: unique inserts, the one write FerretDB 1.24 makes atomic against a concurrent twin.
import type { Model } from 'mongoose';
import { isDuplicateKey } from './errors.ts';
import type { IdentifierDoc } from './models.ts';

/**
 * A claim whose holder does not carry its value (the process died between the claim and the holder's
 * write, or before an old value was released) is reclaimed after this long; younger ones may belong to
 * a write still in flight.
 */
const ORPHAN_GRACE_MS = 5 * 60 * 1000;

/** Both parts are the caller's, so "a:b" + "c" and "a" + "b:c" must not meet: the length prefix keeps them apart. */
export function pairId(first: string, second: string): string {
  return `${first.length}:${first}:${second}`;
}

/** Inserts `doc`; false when its _id is taken. Of concurrent inserts of one _id, exactly one gets true. */
export async function insertUnique<T>(model: Model<T>, doc: T): Promise<boolean> {
  try {
    await model.create(doc);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

export interface IdentifierClaim {
  /** The identifier's _id, "<kind>:<value>". */
  id: string;
  accountId: string;
  now: Date;
  /** Whether the holder's own record (account, member) carries the value: if not, an old claim is an orphan. */
  carried(holder: IdentifierDoc): Promise<boolean>;
  /** The error thrown when another account rightfully holds the value. */
  taken(cause: unknown): Error;
}

/**
 * Claims a unique identifier (email, phone, member card number) for an account: inserting its _id is the
 * claim, so of concurrent claimers exactly one wins, even on FerretDB 1.24. A claim the account already
 * holds is kept; an orphan is reclaimed. Returns true when this call inserted the claim (so only it may
 * release it again), false when the account held it already.
 */
export async function claimIdentifier(identifiers: Model<IdentifierDoc>, claim: IdentifierClaim): Promise<boolean> {
  const { id: _id, accountId, now } = claim;
  const doc: IdentifierDoc = { _id, accountId, createdAt: now };
  try {
    await identifiers.create(doc);
    return true;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const holder = await identifiers.findById(_id).lean<IdentifierDoc>().exec();
    if (holder?.accountId === accountId) return false;
    const orphaned = holder !== null
      && holder.createdAt.getTime() < now.getTime() - ORPHAN_GRACE_MS
      && !(await claim.carried(holder));
    if (!orphaned) throw claim.taken(error);
    // Conditional on the orphan's accountId, so two reclaimers cannot delete a fresh claim.
    await releaseIdentifier(identifiers, _id, holder.accountId);
  }
  try {
    await identifiers.create(doc);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) throw claim.taken(error);
    throw error;
  }
}

/** Gives an identifier back; only this account's claim is removed, never one another account made since. */
export async function releaseIdentifier(identifiers: Model<IdentifierDoc>, id: string, accountId: string): Promise<void> {
  await identifiers.deleteOne({ _id: id, accountId });
}
