// Who may redeem points right now: a verified member, signed in with two factors (or a passkey) in the
// last 10 minutes, whose password or phone did not change in the last 24 hours (a thief's first moves).
import { ACR, acrRank } from '../../../config/assurance.ts';
import type { Account } from '../accounts/account.ts';

export const REDEMPTION_MAX_AUTH_AGE_SECONDS = 10 * 60;
/** When the risk rules find a redemption risky (impossible travel, a new country after a credential change, ...). */
export const RISKY_REDEMPTION_MAX_AUTH_AGE_SECONDS = 2 * 60;
export const REDEMPTION_FREEZE_SECONDS = 24 * 60 * 60;
export const REDEMPTION_ACR = ACR.twoFactors;

export interface Authentication {
  acr: string | undefined;
  /** Epoch seconds. */
  authTime: number | undefined;
}

export type RedemptionCheck =
  | { ok: true }
  | { ok: false; reason: 'not_verified' | 'step_up' | 'frozen'; retryAfterSeconds?: number };

export function checkRedemption(account: Account, auth: Authentication, nowMs = Date.now(), maxAuthAgeSeconds = REDEMPTION_MAX_AUTH_AGE_SECONDS): RedemptionCheck {
  if (!account.emailVerified) return { ok: false, reason: 'not_verified' };
  const nowSeconds = Math.floor(nowMs / 1000);
  const strong = acrRank(auth.acr) >= acrRank(REDEMPTION_ACR);
  const recent = auth.authTime !== undefined && nowSeconds - auth.authTime <= maxAuthAgeSeconds && auth.authTime <= nowSeconds + 60;
  if (!strong || !recent) return { ok: false, reason: 'step_up' };
  // The later of a password reset and a change of phone (a thief's first moves).
  const changes = [account.credentialsChangedAt, account.contactChangedAt].filter((d): d is Date => d !== null).map((d) => d.getTime());
  const changedAt = changes.length ? Math.max(...changes) : undefined;
  if (changedAt !== undefined && nowMs - changedAt < REDEMPTION_FREEZE_SECONDS * 1000) {
    return { ok: false, reason: 'frozen', retryAfterSeconds: Math.ceil((changedAt + REDEMPTION_FREEZE_SECONDS * 1000 - nowMs) / 1000) };
  }
  return { ok: true };
}
