// Pure parsing for the peer benchmark (bench/peers.mjs): Maven metadata and checksum files, `java -version`,
// Keycloak's login form and password credential data, and PHC hash strings. Kept apart so it is unit-tested.

/** The newest plain release `major.minor.patch` of `major` listed in a maven-metadata.xml (no -SNAPSHOT, no qualifiers). */
export function latestRelease(metadataXml: string, major: number): string | undefined {
  const versions = [...metadataXml.matchAll(/<version>\s*(\d+)\.(\d+)\.(\d+)\s*<\/version>/g)]
    .map((m) => [Number(m[1]), Number(m[2]), Number(m[3])] as const)
    .filter(([maj]) => maj === major)
    .sort((a, b) => a[1] - b[1] || a[2] - b[2]);
  const newest = versions.at(-1);
  return newest ? newest.join('.') : undefined;
}

/**
 * The hex digest in a Maven Central checksum file (`<hex>` alone, or `<hex>  <file name>` as sha256sum writes it);
 * undefined when the text is not one digest of `hexLength` characters.
 */
export function checksumOf(text: string, hexLength: number): string | undefined {
  const first = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  return new RegExp(`^[0-9a-f]{${hexLength}}$`).test(first) ? first : undefined;
}

/** The feature release of a JVM from `java -version` (stderr): `"25.0.3"` → 25, `"21"` → 21, `"1.8.0_402"` → 8. */
export function javaMajor(versionOutput: string): number | undefined {
  const quoted = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!quoted) return undefined;
  const first = Number(quoted[1]);
  return first === 1 && quoted[2] !== undefined ? Number(quoted[2]) : first;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the HTML character references FreeMarker's escaping produces in an attribute value. */
export function decodeAttribute(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/**
 * The absolute URL Keycloak's username/password form posts to (`<form id="kc-form-login" ... action="...">`,
 * the login-actions/authenticate URL carrying session_code, execution, client_id and tab_id), entities decoded.
 */
export function loginFormAction(html: string): string | undefined {
  for (const form of html.matchAll(/<form\b[^>]*>/gi)) {
    const tag = form[0];
    if (!/\bid="kc-form-login"/.test(tag)) continue;
    const action = /\baction="([^"]*)"/.exec(tag)?.[1];
    return action === undefined ? undefined : decodeAttribute(action);
  }
  return undefined;
}

export interface HashPolicy {
  algorithm: string;
  iterations: number;
  /** argon2 only: memory in KiB, parallelism, variant (`id`, `i`, `d`), output length in bytes, version. */
  memoryKiB?: number;
  parallelism?: number;
  type?: string;
  hashLength?: number;
  version?: string;
}

/** The hashing policy of a Keycloak password credential, from its `credentialData` JSON (admin API). */
export function keycloakHashPolicy(credentialData: string): HashPolicy | undefined {
  let data: unknown;
  try {
    data = JSON.parse(credentialData);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const record = data as { algorithm?: unknown; hashIterations?: unknown; additionalParameters?: unknown };
  if (typeof record.algorithm !== 'string' || typeof record.hashIterations !== 'number') return undefined;
  const extra = (typeof record.additionalParameters === 'object' && record.additionalParameters !== null ? record.additionalParameters : {}) as Record<string, unknown>;
  // Keycloak keeps each additional parameter as a one-element list of strings.
  const first = (key: string): string | undefined => {
    const value = extra[key];
    return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
  };
  const number = (key: string): number | undefined => {
    const value = first(key);
    return value === undefined || !/^\d+$/.test(value) ? undefined : Number(value);
  };
  const policy: HashPolicy = { algorithm: record.algorithm, iterations: record.hashIterations };
  if (record.algorithm === 'argon2') {
    policy.memoryKiB = number('memory');
    policy.parallelism = number('parallelism');
    policy.type = first('type');
    policy.hashLength = number('hashLength');
    policy.version = first('version');
  }
  return policy;
}

/** The parameters of an argon2 PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`; node's argon2 writes m,p,t). */
export function phcArgon2Parameters(hash: string): { type: string; memoryKiB: number; iterations: number; parallelism: number } | undefined {
  const m = /^\$argon2(id|i|d)\$(?:v=\d+\$)?([a-z]=\d+(?:,[a-z]=\d+)*)\$/.exec(hash);
  if (!m) return undefined;
  const values = Object.fromEntries(m[2]!.split(',').map((pair) => [pair[0]!, Number(pair.slice(2))]));
  const { m: memoryKiB, t: iterations, p: parallelism } = values;
  if (memoryKiB === undefined || iterations === undefined || parallelism === undefined) return undefined;
  return { type: m[1]!, memoryKiB, iterations, parallelism };
}

/** A hash policy as one short phrase for the report: `argon2id m=19456 KiB t=2 p=1`, `pbkdf2-sha512 210000 iterations`. */
export function describePolicy(policy: HashPolicy): string {
  if (policy.algorithm === 'argon2') return `argon2${policy.type ?? 'id'} m=${policy.memoryKiB} KiB t=${policy.iterations} p=${policy.parallelism}`;
  return `${policy.algorithm} ${policy.iterations} iterations`;
}
