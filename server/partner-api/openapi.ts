// OpenAPI description of the partner API (served at /partner-api/v1/openapi.json).
export function partnerOpenApi(issuer: string) {
  const problem = { $ref: '#/components/schemas/Problem' };
  const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [String(code), { description: String(code), content: { 'application/json': { schema: problem } } }]));
  const sub = { name: 'sub', in: 'path', required: true, description: 'The member as your organization knows them: the pairwise `sub` of their ID token.', schema: { type: 'string', maxLength: 128 } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Loyalty partner API',
      version: '1',
      description: 'For partner organizations. Authenticate with an access token from the client-credentials grant of one of your clients, '
        + `requested with resource=${issuer}/partner-api and the scopes below. You only ever reach members who signed in to one of your clients.`,
    },
    servers: [{ url: `${issuer}/partner-api/v1` }],
    components: {
      securitySchemes: {
        partnerToken: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { 'loyalty:earn': 'Award points to your members', 'members:read': 'Read what your members shared with you' } } } },
      },
      schemas: {
        Problem: { type: 'object', properties: { error: { type: 'string' }, error_description: { type: 'string' } }, required: ['error'] },
        Earn: { type: 'object', additionalProperties: false, required: ['points', 'reason'], properties: { points: { type: 'integer', minimum: 1, maximum: 1_000_000 }, reason: { type: 'string', minLength: 1, maxLength: 200 } } },
        Campaign: {
          type: 'object',
          additionalProperties: false,
          required: ['code', 'points', 'per_member_limit', 'total_limit', 'starts_at', 'ends_at'],
          properties: {
            code: { type: 'string', pattern: '^[A-Za-z0-9-]{4,32}$', description: 'Case-insensitive; unique among your campaigns.' },
            points: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            per_member_limit: { type: 'integer', minimum: 1, maximum: 100 },
            total_limit: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            starts_at: { type: 'string', format: 'date-time' },
            ends_at: { type: 'string', format: 'date-time', description: 'After starts_at; the code works until just before it.' },
          },
        },
        Coupon: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', maxLength: 64 } } },
      },
    },
    paths: {
      '/members/{sub}': {
        get: {
          summary: 'The claims the member granted your organization (per the scopes of their last sign-in).',
          security: [{ partnerToken: ['members:read'] }],
          parameters: [sub],
          responses: { 200: { description: 'Claims, always including sub.' }, ...errors(401, 403, 404) },
        },
      },
      '/members/{sub}/points': {
        post: {
          summary: 'Award points. Idempotent: repeat a request with the same Idempotency-Key and body to get the original answer.',
          security: [{ partnerToken: ['loyalty:earn'] }],
          parameters: [sub, { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 } }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Earn' } } } },
          responses: { 201: { description: 'The ledger entry (points_balance only if the member granted you the loyalty scope). A replay carries Idempotent-Replayed: true.' }, ...errors(400, 401, 403, 404, 409, 415) },
        },
      },
      '/campaigns': {
        post: {
          summary: 'Create a coupon campaign: a single code worth points, limited per member and in total, within a time window.',
          security: [{ partnerToken: ['loyalty:earn'] }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Campaign' } } } },
          responses: { 201: { description: 'The campaign, with its id and the code upper-cased.' }, ...errors(400, 401, 403, 409, 415) },
        },
      },
      '/members/{sub}/coupons': {
        post: {
          summary: 'Redeem one of your campaign codes for the member: credits its points. 404 for a code that is unknown or not open now; 409 when the campaign or the member has no uses left.',
          security: [{ partnerToken: ['loyalty:earn'] }],
          parameters: [sub],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Coupon' } } } },
          responses: { 201: { description: 'The ledger entry id, campaign_id, points (points_balance only if the member granted you the loyalty scope).' }, ...errors(400, 401, 403, 404, 409, 415) },
        },
      },
    },
  };
}
