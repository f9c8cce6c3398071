// Emailed unlock links for an account under attack: a signed, expiring, single-use token naming the
// account. Opening it marks that browser as a known device, which the lockout never challenges.
import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../crypto.ts';

export const UNLOCK_TTL_SECONDS = 60 * 60;
/** Tokens are short: anything longer is refused before any work. */
const MAX_TOKEN_LENGTH = 256;

export interface UnlockClaim {
  accountId: string;
  /** Random id: a token unlocks once. */
  id: string;
  expiresAt: Date;
}

export class UnlockLinks {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = key;
  }

  create(accountId: string, now = new Date()): string {
    const payload = Buffer.from(JSON.stringify({
      a: accountId, i: randomBytes(12).toString('base64url'), e: Math.floor(now.getTime() / 1000) + UNLOCK_TTL_SECONDS,
    })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The claim of a genuine, unexpired token; undefined for anything else. */
  read(token: unknown, now = new Date()): UnlockClaim | undefined {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined || !constantTimeEqual(signature, this.sign(payload))) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { a?: unknown; i?: unknown; e?: unknown };
      if (typeof parsed.a !== 'string' || typeof parsed.i !== 'string' || typeof parsed.e !== 'number') return undefined;
      if (parsed.e * 1000 <= now.getTime()) return undefined;
      return { accountId: parsed.a, id: parsed.i, expiresAt: new Date(parsed.e * 1000) };
    } catch {
      return undefined;
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(`unlock\0${payload}`).digest('base64url');
  }
}
