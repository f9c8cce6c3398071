// The partner API's OpenAPI document: public, OpenAPI 3.1, lists every route the router serves (no more), every
// $ref resolves, and the documented bodies name exactly the fields the API accepts.
import { randomUUID } from 'node:crypto';
import { useCouponPartners } from './coupon-api.ts';
import { operations, refs, resolve } from '../../support/openapi.ts';

interface Operation {
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses: Record<string, unknown>;
}

interface OpenApiDocument {
  openapi: string;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: boolean }> };
}

/** The document is the same on every store: one server is enough. */
describe('partner API: OpenAPI document', () => {
  const setup = useCouponPartners('sqlite');
  let document: OpenApiDocument;

  beforeAll(async () => {
    const response = await fetch(`${setup.fx.server.url}/partner-api/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    document = (await response.json()) as OpenApiDocument;
  });

  test('is OpenAPI 3.1, lists every route, and every $ref resolves', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: `${setup.fx.server.url}/partner-api/v1` }]);
    expect(operations(document.paths).sort()).toEqual([
      'GET /campaigns',
      'GET /campaigns/{id}',
      'GET /campaigns/{id}/codes',
      'GET /members/{sub}',
      'PATCH /campaigns/{id}',
      'POST /campaigns',
      'POST /campaigns/{id}/end',
      'POST /members/{sub}/consents',
      'POST /members/{sub}/coupons',
      'POST /members/{sub}/points',
    ]);
    for (const ref of refs(document)) expect([ref, resolve(document, ref)]).toEqual([ref, expect.anything()]);
  });

  test('every operation needs a token and says so; routes on one id or member document the 404; money moves take an Idempotency-Key', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        expect([method, path, operation.security?.length, Object.keys(operation.responses)]).toEqual([method, path, 1, expect.arrayContaining(['401', '403'])]);
        if (path.includes('{')) expect([method, path, Object.keys(operation.responses)]).toEqual([method, path, expect.arrayContaining(['404'])]);
      }
    }
    for (const path of ['/members/{sub}/points', '/members/{sub}/coupons']) {
      expect(document.paths[path]!.post!.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
    }
  });

  test('the documented campaign bodies name exactly the fields the API accepts', async () => {
    const { Campaign, CampaignChanges } = document.components.schemas;
    expect([Campaign!.additionalProperties, CampaignChanges!.additionalProperties]).toEqual([false, false]);
    const fields = Object.keys(Campaign!.properties!);
    expect(fields.sort()).toEqual(['code', 'code_count', 'code_pattern', 'ends_at', 'per_member_limit', 'points', 'starts_at', 'total_limit']);
    const unknownIn = async (method: string, path: string, names: string[]) => {
      const reply = await setup.api.call(method, setup.shopToken, path, Object.fromEntries(names.map((name) => [name, null])));
      expect(reply.status).toBe(400);
      return Object.entries((reply.body.details as { fields: Record<string, string> }).fields).filter(([, message]) => message === 'unknown field');
    };
    // A single code and generated codes are two shapes of one body: each takes all fields but the other's.
    expect(await unknownIn('POST', '/campaigns', fields.filter((field) => field !== 'code_pattern' && field !== 'code_count'))).toEqual([]);
    expect(await unknownIn('POST', '/campaigns', fields.filter((field) => field !== 'code'))).toEqual([]);
    const created = await setup.api.campaign(setup.shopToken, { code: `OAS-${randomUUID().slice(0, 6)}` });
    expect(await unknownIn('PATCH', `/campaigns/${String(created.body.id)}`, Object.keys(CampaignChanges!.properties!))).toEqual([]);
  });
});
