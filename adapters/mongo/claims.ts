// Single-use claims for the Mongo adapter: unique inserts, the one write FerretDB 1.24 makes atomic against a concurrent twin.
import type { Model } from 'mongoose';
import { isDuplicateKey } from './errors.ts';

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
