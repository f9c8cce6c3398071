// Recognises MongoDB's duplicate-key error (E11000), which FerretDB reports the same way.
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

/** Parses a JSON string field holding an object (metadata, JWKs, payloads). */
export function parseObject(json: string, what: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError(`${what}: expected a JSON object`);
  return parsed as Record<string, unknown>;
}
