// Calls of the partner API's coupon routes for protocol tests: JSON in and out, the partner's bearer token, and
// campaigns open for the next hour unless a test says otherwise.
import { randomUUID } from 'node:crypto';
import { type MemberServer, useMemberServer } from '../../support/suite.ts';
import type { StoreKind } from '../../support/test-server.ts';
import { adminCaller } from '../admin/admin-api.ts';
import { partnerFixture, type PartnerSetup } from './partner-fixture.ts';

export const HOUR = 3600_000;

export interface ApiReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export function couponApi(fx: MemberServer) {
  async function call(method: string, token: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiReply> {
    const response = await fetch(`${fx.server.url}/partner-api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  const window = () => ({ starts_at: new Date(Date.now() - HOUR).toISOString(), ends_at: new Date(Date.now() + HOUR).toISOString() });

  return {
    call,
    /** POST /campaigns with a single code (random unless given). */
    campaign: (token: string, over: Record<string, unknown> = {}) => call('POST', token, '/campaigns', {
      code: `c-${randomUUID().slice(0, 8)}`, points: 40, per_member_limit: 1, total_limit: 100, ...window(), ...over,
    }),
    /** POST /campaigns with generated codes. */
    generated: (token: string, over: Record<string, unknown> = {}) => call('POST', token, '/campaigns', {
      code_pattern: 'GEN-####-####', code_count: 5, points: 25, per_member_limit: 1, ...window(), ...over,
    }),
    /** POST /members/{sub}/coupons with a fresh Idempotency-Key unless one is given. */
    redeem: (token: string, sub: string, code: string, key: string = randomUUID()) =>
      call('POST', token, `/members/${encodeURIComponent(sub)}/coupons`, { code }, { 'idempotency-key': key }),
    balanceOf: async (accountId: string) => (await fx.server.container.storage.loyalty.findMember(accountId))?.balance ?? 0,
  };
}

export interface CouponPartners {
  fx: MemberServer;
  api: ReturnType<typeof couponApi>;
  fixture: ReturnType<typeof partnerFixture>;
  /** Two partners, each with a token for loyalty:earn and members:read. */
  shop: PartnerSetup;
  cafe: PartnerSetup;
  shopToken: string;
  cafeToken: string;
}

/** A server on `store` with two partners; the returned object is filled in before the first test runs. */
export function useCouponPartners(store: StoreKind): CouponPartners {
  const fx = useMemberServer(store);
  let admin: ReturnType<typeof adminCaller>;
  const fixture = partnerFixture(fx, () => admin);
  const setup = { fx, api: couponApi(fx), fixture } as CouponPartners;
  beforeAll(async () => {
    const token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
    setup.shop = await fixture.partner('Coupon shop');
    setup.cafe = await fixture.partner('Coupon cafe');
    setup.shopToken = await fixture.partnerToken(setup.shop);
    setup.cafeToken = await fixture.partnerToken(setup.cafe);
  });
  return setup;
}
