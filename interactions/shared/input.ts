// zod field types shared by the hosted forms: bounded strings so no field can be huge or the wrong type.
import { z } from 'zod';

/** A form value: strings only (arrays from repeated fields are refused), bounded length. */
export const field = (max: number) => z.string().max(max);

export const emailField = field(320).transform((v) => v.trim());
// Long enough for any passphrase; longer input is refused before hashing (hashing cost is the DoS).
export const passwordField = field(1024);
export const codeField = field(32).transform((v) => v.replace(/[\s-]/g, ''));

export const CODE_SHAPE = /^[0-9]{6}$/;

/** Parses a form or returns undefined when a field is missing or of the wrong shape. */
export function parseForm<T extends z.ZodTypeAny>(schema: T, body: unknown): z.output<T> | undefined {
  const result = schema.safeParse(body ?? {});
  return result.success ? result.data : undefined;
}
