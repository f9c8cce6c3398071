// Coupon code rules: one spelling (upper case) so "summer-24" and "SUMMER-24" are the same code.
export const COUPON_CODE = /^[A-Z0-9-]{4,32}$/;

/** The stored spelling of a typed code, or undefined when it cannot be a code. */
export function normaliseCouponCode(input: string): string | undefined {
  const code = input.trim().toUpperCase();
  return COUPON_CODE.test(code) ? code : undefined;
}
