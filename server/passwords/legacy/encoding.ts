// Byte helpers shared by the legacy hash families: strict base64 decoding and constant-time comparison.
import { timingSafeEqual } from 'node:crypto';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const AB64 = /^[A-Za-z0-9./+]*$/;

/** Standard base64 (padding optional); undefined when the text is not base64, so a garbled hash never verifies. */
export function fromBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64');
}

/** passlib's "adapted base64" (`.` for `+`, no padding); its scrypt writes plain `+`, so both are read. */
export function fromAdaptedBase64(text: string): Buffer | undefined {
  if (!AB64.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text.replaceAll('.', '+'), 'base64');
}

/** Lowercase or uppercase hex, whole bytes only. */
export function fromHex(text: string): Buffer | undefined {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) return undefined;
  return Buffer.from(text, 'hex');
}

/** Constant-time equality; lengths are public (they come from the stored format, not the password). */
export function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** A positive safe integer written in decimal without sign or leading zeros, else undefined. */
export function positiveInt(text: string | undefined, max: number): number | undefined {
  if (text === undefined || !/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= max ? value : undefined;
}
