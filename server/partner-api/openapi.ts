// OpenAPI description of the partner API (served at /partner-api/v1/openapi.json).
export function partnerOpenApi(issuer: string) {
  const problem = { $ref: '#/components/schemas/Problem' };
  const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [String(code), { description: String(code), content: { 'application/json': { schema: problem } } }]));
  const sub = { name: 'sub', in: 'path', required: true, description: 'The member as your organization knows them: the pairwise `sub` of their ID token.', schema: { type: 'string', maxLength: 128 } };
  const campaignId = { name: 'id', in: 'path', required: true, description: 'The id of one of your campaigns.', schema: { type: 'string', maxLength: 64 } };
  const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: true, description: 'Your key for this request (a UUID, say): the same key and body replay the original answer; another body is a 409.', schema: { type: 'string', minLength: 1, maxLength: 255 } };
  const limit = (max: number, fallback: number) => ({ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: max, default: fallback } });
  const after = (description: string) => ({ name: 'after', in: 'query', required: false, description, schema: { type: 'string', minLength: 1, maxLength: 64 } });
  // Issue 21: an absorbed member's old sub, for 90 days after a merge: the survivor's sub to use instead.
  const merged = { description: 'The member was merged into another (a duplicate): use `sub`, the surviving member\'s sub for your organization, from now on (answered for 90 days after the merge; then 404).', content: { 'application/json': { schema: { $ref: '#/components/schemas/MemberMerged' } } } };
  const json = (description: string, schema: string) => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } } });
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
        partnerToken: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { 'loyalty:earn': 'Award points to your members and run coupon campaigns', 'members:read': 'Read what your members shared with you', 'consents:write': 'Record a consent a member gave at your counter' } } } },
      },
      schemas: {
        Problem: { type: 'object', properties: { error: { type: 'string' }, error_description: { type: 'string' } }, required: ['error'] },
        MemberMerged: { type: 'object', required: ['error', 'sub'], properties: { error: { const: 'member_merged' }, error_description: { type: 'string' }, sub: { type: 'string', description: 'The surviving member\'s pairwise sub for your organization.' } } },
        Consents: {
          type: 'object',
          description: 'The member\'s purpose consents (issue 17): purpose id → their latest answer. Present in GET /members/{sub} only when the member granted your client the consents scope.',
          additionalProperties: { type: 'object', required: ['granted', 'version', 'time'], properties: { granted: { type: 'boolean' }, version: { type: 'integer' }, time: { type: 'string', format: 'date-time' } } },
        },
        ConsentGiven: {
          type: 'object', additionalProperties: false, required: ['purpose', 'version', 'granted'],
          properties: { purpose: { type: 'string', description: 'A purpose id of the program\'s catalogue.' }, version: { type: 'integer', minimum: 1, description: 'The version of the purpose text the member was shown: a stale one is refused (400).' }, granted: { type: 'boolean' } },
        },
        Earn: { type: 'object', additionalProperties: false, required: ['points', 'reason'], properties: { points: { type: 'integer', minimum: 1, maximum: 1_000_000 }, reason: { type: 'string', minLength: 1, maxLength: 200 } } },
        Campaign: {
          type: 'object',
          additionalProperties: false,
          description: 'Either a single code (code, total_limit) or generated codes (code_pattern, code_count, total_limit optional).',
          required: ['points', 'per_member_limit', 'starts_at', 'ends_at'],
          properties: {
            code: { type: 'string', pattern: '^[A-Za-z0-9-]{4,32}$', description: 'The single code every member types. Case-insensitive; unique among your codes, generated ones included, and not in use by another partner\'s open or upcoming campaign (409, details.reason code_taken): members type codes without naming a partner.' },
            code_pattern: {
              type: 'string',
              pattern: '^[A-Za-z0-9#-]{4,32}$',
              description: 'Instead of code: each # becomes a random character of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ (at least 8 #, so codes cannot be guessed), e.g. SUMMER-####-####. Each generated code works once.',
            },
            code_count: { type: 'integer', minimum: 1, maximum: 10_000, description: 'With code_pattern: how many codes to generate.' },
            points: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            per_member_limit: { type: 'integer', minimum: 1, maximum: 100, description: 'Uses per member (for generated codes: codes per member).' },
            total_limit: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'Uses in all. Required with code; with code_pattern at most code_count (its default).' },
            starts_at: { type: 'string', format: 'date-time' },
            ends_at: { type: 'string', format: 'date-time', description: 'After starts_at; codes work until just before it.' },
          },
        },
        CampaignChanges: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          description: 'What may change: never the code, the pattern or the codes. Uses already taken keep the points they were taken for. Moving ends_at into the future while another partner\'s open or upcoming campaign has the same code is a 409 (code_taken).',
          properties: {
            points: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            per_member_limit: { type: 'integer', minimum: 1, maximum: 100 },
            total_limit: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'Never below the uses already taken (409), never above code_count (400).' },
            starts_at: { type: 'string', format: 'date-time' },
            ends_at: { type: 'string', format: 'date-time' },
          },
        },
        CampaignView: {
          type: 'object',
          required: ['id', 'code', 'code_pattern', 'code_count', 'points', 'per_member_limit', 'total_limit', 'starts_at', 'ends_at', 'ended_at', 'created_at'],
          properties: {
            id: { type: 'string' },
            code: { type: ['string', 'null'], description: 'Null for generated codes.' },
            code_pattern: { type: ['string', 'null'] },
            code_count: { type: 'integer', description: '0 for a single code.' },
            points: { type: 'integer' },
            per_member_limit: { type: 'integer' },
            total_limit: { type: 'integer' },
            starts_at: { type: 'string', format: 'date-time' },
            ends_at: { type: 'string', format: 'date-time' },
            ended_at: { type: ['string', 'null'], format: 'date-time', description: 'When you ended it early; no code works after that.' },
            created_at: { type: 'string', format: 'date-time' },
            uses: { type: 'integer', description: 'Uses taken so far (not in listings).' },
            codes: { type: 'array', items: { type: 'string' }, description: 'Only in the answer that creates a campaign of generated codes: every code, this once.' },
          },
        },
        CampaignPage: {
          type: 'object',
          required: ['items', 'next'],
          properties: { items: { type: 'array', items: { $ref: '#/components/schemas/CampaignView' } }, next: { type: ['string', 'null'], description: 'Pass as after= for the next page.' } },
        },
        CodePage: {
          type: 'object',
          required: ['items', 'next'],
          properties: {
            items: {
              type: 'array',
              items: { type: 'object', required: ['code', 'used', 'used_at'], properties: { code: { type: 'string' }, used: { type: 'boolean' }, used_at: { type: ['string', 'null'], format: 'date-time' } } },
            },
            next: { type: ['string', 'null'], description: 'Pass as after= for the next page.' },
          },
        },
        Coupon: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', maxLength: 64, description: 'A single code or a generated code of one of your campaigns; case-insensitive.' } } },
      },
    },
    paths: {
      '/members/{sub}': {
        get: {
          summary: 'The claims the member granted your organization (per the scopes of their last sign-in).',
          security: [{ partnerToken: ['members:read'] }],
          parameters: [sub],
          responses: { 200: { description: 'Claims, always including sub; with the consents scope granted, `consents` (see the Consents schema).' }, ...errors(401, 403, 404), 410: merged },
        },
      },
      '/members/{sub}/consents': {
        post: {
          summary: 'Record a consent (or a refusal) the member gave at your counter: channel partner, your client, with a signed receipt for the member. An unknown purpose or a stale version is a 400 and nothing is recorded.',
          security: [{ partnerToken: ['consents:write'] }],
          parameters: [sub],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ConsentGiven' } } } },
          responses: { 201: { description: '{receipt_id, consents}: the receipt id and the member\'s consents as they now are.', content: { 'application/json': { schema: { type: 'object', properties: { receipt_id: { type: 'string' }, consents: { $ref: '#/components/schemas/Consents' } } } } } }, ...errors(400, 401, 403, 404, 415), 410: merged },
        },
      },
      '/members/{sub}/points': {
        post: {
          summary: 'Award points. Idempotent: repeat a request with the same Idempotency-Key and body to get the original answer.',
          security: [{ partnerToken: ['loyalty:earn'] }],
          parameters: [sub, idempotencyKey],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Earn' } } } },
          responses: { 201: { description: 'The ledger entry (points_balance only if the member granted you the loyalty scope). A replay carries Idempotent-Replayed: true.' }, ...errors(400, 401, 403, 404, 409, 415), 410: merged },
        },
      },
      '/campaigns': {
        post: {
          summary: 'Create a coupon campaign: a single code, or generated single-use codes from a pattern, worth points, limited per member and in total, within a time window.',
          security: [{ partnerToken: ['loyalty:earn'] }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Campaign' } } } },
          responses: { 201: json('The campaign (code upper-cased); for generated codes also every code, in codes.', 'CampaignView'), ...errors(400, 401, 403, 409, 413, 415) },
        },
        get: {
          summary: 'Your campaigns, oldest first.',
          security: [{ partnerToken: ['loyalty:earn'] }],
          parameters: [limit(100, 50), after('The id of the last campaign of the previous page.')],
          responses: { 200: json('A page of campaigns.', 'CampaignPage'), ...errors(400, 401, 403) },
        },
      },
      '/campaigns/{id}': {
        get: {
          summary: 'One of your campaigns, with the uses taken. Another organization\'s campaign is a 404, as an unknown id is.',
          security: [{ partnerToken: ['loyalty:earn'] }],
          parameters: [campaignId],
          responses: { 200: json('The campaign.', 'CampaignView'), ...errors(401, 403, 404) },
        },
        patch: {
          summary: 'Change points, limits or the window of a campaign that has not ended.',
          security: [{ partnerToken: ['loyalty:earn'] }],
          parameters: [campaignId],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CampaignChanges' } } } },
          responses: { 200: json('The campaign as changed.', 'CampaignView'), ...errors(400, 401, 403, 404, 409, 413, 415) },
        },
      },
      '/campaigns/{id}/end': {
        post: {
          summary: 'End a campaign now: no code of it works any more. Final; ending it again changes nothing.',
          security: [{ partnerToken: ['loyalty:earn'] }],
          parameters: [campaignId],
          responses: { 200: json('The campaign, with ended_at.', 'CampaignView'), ...errors(401, 403, 404) },
        },
      },
      '/campaigns/{id}/codes': {
        get: {
          summary: 'The generated codes of a campaign in code order, each used or not (409 for a campaign with a single code).',
          security: [{ partnerToken: ['loyalty:earn'] }],
          parameters: [campaignId, limit(1000, 100), after('The last code of the previous page.')],
          responses: { 200: json('A page of codes.', 'CodePage'), ...errors(400, 401, 403, 404, 409) },
        },
      },
      '/members/{sub}/coupons': {
        post: {
          summary: 'Redeem one of your codes (single or generated) for the member: credits its points. Idempotent: repeat a request with the same Idempotency-Key and body to get the original answer; a generated code works once. 404 for a code that is unknown or not open now; 409 when the code is used, or the campaign or the member has no uses left.',
          security: [{ partnerToken: ['loyalty:earn'] }],
          parameters: [sub, idempotencyKey],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Coupon' } } } },
          responses: { 201: { description: 'The ledger entry id, campaign_id, points (points_balance only if the member granted you the loyalty scope). A replay carries Idempotent-Replayed: true.' }, ...errors(400, 401, 403, 404, 409, 415), 410: merged },
        },
      },
    },
  };
}
