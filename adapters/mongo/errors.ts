// Error and payload helpers shared by the Mongo repositories.
/** MongoDB's duplicate-key error (E11000), which FerretDB reports the same way. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

/**
 * Runs an upsert again when it lost an insert race: two upserts of one new _id can both try to insert,
 * and the loser gets E11000 (sometimes on MongoDB, every time on FerretDB 1.24). The retry finds the document.
 */
export async function retryOnDuplicate<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isDuplicateKey(error) || attempt >= attempts) throw error;
    }
  }
}

/** Parses a JSON string field holding an object (metadata, JWKs, payloads). */
export function parseObject(json: string, what: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError(`${what}: expected a JSON object`);
  return parsed as Record<string, unknown>;
}
