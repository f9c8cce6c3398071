// Signing keys: generated once per store, private parts encrypted at rest, identical on every instance.
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { decrypt, encrypt } from '../../security/crypto.ts';
import type { KeysRepository, StoredKey } from './keys.repository.ts';

type Alg = StoredKey['alg'];
export type PrivateJwk = Record<string, unknown> & { kid: string; alg: Alg; use: 'sig' };

const ALGORITHMS: Alg[] = ['RS256', 'ES256', 'EdDSA'];

function generate(alg: Alg): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (alg) {
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
  }
}

/**
 * The kid of the first key per algorithm is fixed, so instances racing through their first boot on an
 * empty store all try to insert the same kid, exactly one wins, and all then load that winner's key.
 * (Random kids let each racer keep its own key and publish a different JWKS.) Rotated keys get random kids.
 */
export function initialKid(alg: Alg): string {
  return `${alg.toLowerCase()}-initial`;
}

function newKey(alg: Alg, kek: Buffer, kid = `${alg.toLowerCase()}-${randomUUID()}`): StoredKey {
  const { publicKey, privateKey } = generate(alg);
  const meta = { kid, alg, use: 'sig' as const };
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), ...meta };
  return {
    kid,
    alg,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), ...meta },
    // The kid is the associated data: a ciphertext moved onto another key's row fails to decrypt.
    encryptedPrivateJwk: encrypt(kek, JSON.stringify(privateJwk), kid),
    createdAt: new Date(),
  };
}

/** Returns the private JWKS for oidc-provider, creating a key per algorithm on first boot. */
export async function loadSigningKeys(repo: KeysRepository, kek: Buffer): Promise<PrivateJwk[]> {
  let stored = await repo.list();
  const missing = ALGORITHMS.filter((alg) => !stored.some((key) => key.alg === alg));
  if (missing.length) {
    for (const alg of missing) await repo.insertIfAbsent(newKey(alg, kek, initialKid(alg)));
    stored = await repo.list();
  }
  // Newest first: oidc-provider signs with the first key of a matching algorithm.
  return stored
    .slice()
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
    .map((key) => {
      try {
        return JSON.parse(decrypt(kek, key.encryptedPrivateJwk, key.kid)) as PrivateJwk;
      } catch (cause) {
        throw new Error(`cannot decrypt signing key ${key.kid}: KEY_ENCRYPTION_KEY differs from the one that created it`, { cause });
      }
    });
}
