// Discovery and the JWKS answer a relying party's repeated polls exactly as they answered the first one (issue 19:
// later answers are replayed from kept bytes): same body, type, caching and CORS, and a rotated key shows at once.
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';

const PATHS = ['/.well-known/openid-configuration', '/jwks'] as const;

interface Answer { status: number; headers: Headers; body: string }

describe.each(STORES)('discovery and JWKS on repeated requests (%s)', (store) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ store });
  });

  afterAll(async () => {
    await server?.close();
  });

  async function get(path: string, init: RequestInit = {}): Promise<Answer> {
    const response = await fetch(`${server.url}${path}`, init);
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  /** The headers a relying party or a cache acts on. */
  const contract = (answer: Answer) => Object.fromEntries(['content-type', 'cache-control', 'access-control-allow-origin', 'vary', 'x-content-type-options', 'content-security-policy', 'content-length']
    .map((name) => [name, answer.headers.get(name)]));

  test.each(PATHS)('%s: later answers carry the first answer\'s body and headers', async (path) => {
    const first = await get(path);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual(expect.any(Object));
    for (let i = 0; i < 3; i += 1) {
      const again = await get(path);
      expect(again.status).toBe(200);
      expect(again.body).toBe(first.body);
      expect(contract(again)).toEqual(contract(first));
      // Each answer is still its own request.
      expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    }
    expect(first.headers.get('access-control-allow-origin')).toBe('*');
    expect(first.headers.get('vary')).toMatch(/origin/i);
    expect(first.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
  });

  test.each(PATHS)('%s: a browser caller gets its own origin back, every time', async (path) => {
    await get(path);
    for (const origin of ['https://rp.example', 'https://other-rp.example']) {
      const answer = await get(path, { headers: { origin } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(answer.headers.get('vary')).toMatch(/origin/i);
    }
  });

  test.each(PATHS)('%s: HEAD has the headers of GET and no body; a preflight is still answered', async (path) => {
    const full = await get(path);
    const head = await get(path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers.get('content-type')).toBe(full.headers.get('content-type'));
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(full.body)));
    const preflight = await get(path, { method: 'OPTIONS', headers: { origin: 'https://rp.example', 'access-control-request-method': 'GET' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://rp.example');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
  });

  test('a rotated signing key is in the very next JWKS answer', async () => {
    const before = JSON.parse((await get('/jwks')).body) as { keys: Array<{ kid: string }> };
    // Twice, so the answer before the rotation is surely one that was kept.
    await get('/jwks');
    const admin = await server.adminToken();
    const rotated = await fetch(`${server.url}/admin/keys/rotate`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(rotated.status).toBe(201);
    const { kids } = (await rotated.json()) as { kids: string[] };
    const after = JSON.parse((await get('/jwks')).body) as { keys: Array<{ kid: string }> };
    const published = after.keys.map((key) => key.kid);
    for (const kid of [...kids, ...before.keys.map((key) => key.kid)]) expect(published).toContain(kid);
  });
});
