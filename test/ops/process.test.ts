// The server as a process: zero-setup boot on the embedded store, dev outbox, readiness, graceful SIGTERM.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootServerProcess as boot, exitOf } from '../support/server-process.ts';

describe('the server process', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-process-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('boots with no configuration but DATA_DIR, answers readiness, and drains on SIGTERM', async () => {
    const server = await boot({ DATA_DIR: dataDir });
    try {
      const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(discovery.issuer).toMatch(/^http:\/\/localhost:/);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      // A request in flight when SIGTERM arrives (half its body sent) still gets its answer.
      const body = 'grant_type=client_credentials&scope=admin';
      const answered = new Promise<number>((resolve, reject) => {
        const req = request(`${server.url}/token`, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          server.child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(10)), 200);
        }, 200);
      });
      expect(await answered).toBe(400); // invalid_request (no client authentication): answered, not dropped
      expect(await exitOf(server.child)).toBe(0);
      expect(server.output()).toContain('"msg":"stopped"');
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  test('two processes booting together on an empty store publish the same JWKS', async () => {
    const [a, b] = await Promise.all([boot({ DATA_DIR: dataDir }), boot({ DATA_DIR: dataDir })]);
    try {
      const [jwksA, jwksB] = await Promise.all([a, b].map(async (s) => (await fetch(`${s.url}/jwks`)).json()));
      expect(jwksA).toEqual(jwksB);
      expect((jwksA as { keys: unknown[] }).keys).toHaveLength(3);
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
    }
  });

  test('refuses to boot on a bad setting, naming it, with exit code 78', async () => {
    const child = spawn(process.execPath, ['server/main.ts'], { env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: 'not-a-port' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitOf(child)).toBe(78);
    expect(stderr).toContain('PORT: expected a port number');
  });

  test('refuses to boot in production with development defaults', async () => {
    const child = spawn(process.execPath, ['server/main.ts'], { env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitOf(child)).toBe(78);
    expect(stderr).toContain('Refusing to start in production');
    expect(stderr).toContain('KEY_ENCRYPTION_KEY');
  });

  test('without SMTP_URL, email goes to the dev outbox in DATA_DIR', async () => {
    const { startTestServer } = await import('../support/test-server.ts');
    const server = await startTestServer({ store: 'sqlite', dataDir });
    try {
      const issued = await server.container.accounts.register('outbox@example.com', 'correct horse battery staple');
      expect(issued.ok).toBe(true);
      // Mail leaves after the answer through the delivery queue: wait for it to reach the outbox.
      expect(await server.container.deliveries.drain(30_000)).toBe(true);
      const outbox = readFileSync(join(dataDir, 'outbox.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { to: string; text: string });
      expect(outbox.at(-1)!.to).toBe('outbox@example.com');
      expect(outbox.at(-1)!.text).toMatch(/^\d{6}$/m);
    } finally {
      await server.close();
    }
  });
});
