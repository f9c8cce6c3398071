// A request body over the size limit must not leave its keep-alive connection hung: the answer closes the
// connection (the rest of the body was never read), so the client's next request is answered.
import { Agent, request, type IncomingMessage } from 'node:http';
import { startTestServer, type TestServer } from '../support/test-server.ts';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** One request through `agent`; the body is sent chunked (no Content-Length) when `chunks` is given. */
function send(agent: Agent, url: string, path: string, options: { method?: string; headers?: Record<string, string>; chunks?: Buffer[] } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { agent, method: options.method ?? 'GET', headers: options.headers }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      res.on('error', reject);
    });
    // A connection that never answers fails the test with a reason instead of the jest timeout.
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer to ${path} on a reused keep-alive connection`)));
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe('a chunked body over the size limit on a keep-alive connection', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite' });
  });
  afterAll(() => server.close());

  // oidc-provider reads /token itself (56 KB limit); our JSON APIs read theirs with @koa/bodyparser (64 KB).
  const oversized = () => Array.from({ length: 40 }, () => Buffer.alloc(8 * 1024, 'a'));

  test('on /token (oidc-provider\'s parser): answered with Connection: close, and the next request works', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(agent, server.url, '/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, chunks: oversized() });
      expect(first.status).toBe(400);
      expect(first.connection).toBe('close');
      const next = await send(agent, server.url, '/.well-known/openid-configuration');
      expect(next.status).toBe(200);
      expect(next.connection).toBe('keep-alive');
    } finally {
      agent.destroy();
    }
  });

  test('on a JSON API (the admin API\'s body parser): 413 with Connection: close, and the next request works', async () => {
    const token = await server.adminToken();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const first = await send(agent, server.url, '/admin/partners', { method: 'POST', headers, chunks: [Buffer.from('{"name":"'), ...oversized(), Buffer.from('"}')] });
      expect(first.status).toBe(413);
      expect(first.connection).toBe('close');
      const next = await send(agent, server.url, '/admin/partners', { method: 'POST', headers, chunks: [Buffer.from('{"name":"After the big one"}')] });
      expect(next.status).toBe(201);
    } finally {
      agent.destroy();
    }
  });

  test('a body within the limit keeps the connection alive', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(agent, server.url, '/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, chunks: [Buffer.from('grant_type=client_credentials')] });
      expect([first.status, first.connection]).toEqual([400, 'keep-alive']);
    } finally {
      agent.destroy();
    }
  });
});
