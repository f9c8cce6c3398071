// Who may redeem points right now: a verified member, signed in with two factors (or a passkey) in the
// last 10 minutes, whose credentials did not change in the last 24 hours (a thief's first move).
import { ACR, acrRank } from '../../../config/assurance.ts';
import type { Account } from '../accounts/account.ts';

export const REDEMPTION_MAX_AUTH_AGE_SECONDS = 10 * 60;
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

export function checkRedemption(account: Account, auth: Authentication, nowMs = Date.now()): RedemptionCheck {
  if (!account.emailVerified) return { ok: false, reason: 'not_verified' };
  const nowSeconds = Math.floor(nowMs / 1000);
  const strong = acrRank(auth.acr) >= acrRank(REDEMPTION_ACR);
  const recent = auth.authTime !== undefined && nowSeconds - auth.authTime <= REDEMPTION_MAX_AUTH_AGE_SECONDS && auth.authTime <= nowSeconds + 60;
  if (!strong || !recent) return { ok: false, reason: 'step_up' };
  const changedAt = account.credentialsChangedAt?.getTime();
  if (changedAt !== undefined && nowMs - changedAt < REDEMPTION_FREEZE_SECONDS * 1000) {
    return { ok: false, reason: 'frozen', retryAfterSeconds: Math.ceil((changedAt + REDEMPTION_FREEZE_SECONDS * 1000 - nowMs) / 1000) };
  }
  return { ok: true };
}
