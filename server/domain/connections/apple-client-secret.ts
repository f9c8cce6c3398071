// Sign in with Apple's client secret: an ES256 JWT (iss team id, sub client id, aud Apple) signed with the team's key, made per token request.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

/** Apple refuses secrets living longer than six months; ours live minutes, as one token request needs. */
const SECRET_LIFETIME_SECONDS = 5 * 60;

function ecP256(pem: string): KeyObject | undefined {
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pem` is an EC P-256 private key (what Apple's .p8 file holds); anything else is refused at creation. */
export function isP256PrivateKeyPem(pem: string): boolean {
  return pem.includes('-----BEGIN') && ecP256(pem) !== undefined;
}

export interface AppleSecretInput {
  teamId: string;
  keyId: string;
  clientId: string;
  privateKey: string;
  /** Apple's issuer (https://appleid.apple.com), the secret's audience. */
  audience: string;
}

/** A fresh client secret: short-lived, so a leaked one (a log, a proxy) soon stops working. */
export async function appleClientSecret(input: AppleSecretInput, now = Math.floor(Date.now() / 1000)): Promise<string> {
  const key = ecP256(input.privateKey);
  if (!key) throw new Error('the apple connection has no usable EC P-256 key');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: input.keyId })
    .setIssuer(input.teamId)
    .setSubject(input.clientId)
    .setAudience(input.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + SECRET_LIFETIME_SECONDS)
    .sign(key);
}
