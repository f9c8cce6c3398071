// SIGTERM while requests are in flight and keep-alive clients are busy: readiness turns 503, every answer says
// Connection: close, idle keep-alive connections are closed, requests in flight finish, and no client sees a
// reset (ECONNRESET, "socket hang up"): after its last answer a client finds the port closed (ECONNREFUSED).
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootServerProcess, exitOf } from '../support/server-process.ts';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

function get(agent: Agent, url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A keep-alive client polling /readyz back to back on one connection until an answer closes it; then one more
 * request, which must find the port closed rather than be reset.
 */
async function busyClient(url: string, started: () => void) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const answers: Answer[] = [];
  try {
    for (;;) {
      const answer = await get(agent, `${url}/readyz`);
      answers.push(answer);
      if (answers.length === 1) started();
      if (answer.connection === 'close') break;
    }
    const after = await get(agent, `${url}/readyz`).then(() => 'answered', (error: NodeJS.ErrnoException) => error.code ?? error.message);
    return { answers, after };
  } finally {
    agent.destroy();
  }
}

describe('graceful shutdown of the server process', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-shutdown-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('SIGTERM with a slow request in flight, busy keep-alive clients and an idle one', async () => {
    const server = await bootServerProcess({ DATA_DIR: dataDir });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

      // An idle keep-alive connection: one answer, then quiet. The server must close it, not wait for it.
      const { hostname, port } = new URL(server.url);
      const idle = connect(Number(port), hostname);
      let idleAnswer = '';
      idle.setEncoding('utf8');
      idle.on('data', (chunk: string) => (idleAnswer += chunk));
      const idleClosed = new Promise<string | undefined>((resolve) => {
        let error: string | undefined;
        idle.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
        idle.on('close', () => resolve(error));
      });
      idle.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');

      // A slow request: half its body sent before SIGTERM, the rest once shutdown has begun.
      const body = 'grant_type=client_credentials&scope=admin';
      const slow = request(`${server.url}/token`, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length } });
      const slowAnswer = new Promise<Answer>((resolve, reject) => {
        slow.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text }));
        });
        slow.on('error', reject);
      });
      slow.write(body.slice(0, 10));

      // Once every client has had an answer on its connection (so each is mid-loop), stop the server.
      const starts: Array<Promise<void>> = [];
      const clients = Array.from({ length: 4 }, () => {
        let started!: () => void;
        starts.push(new Promise<void>((resolve) => (started = resolve)));
        return busyClient(server.url, started);
      });
      await Promise.all(starts);
      server.child.kill('SIGTERM');
      const results = await Promise.all(clients);
      // Shutdown has begun (the clients saw it); the slow request's body arrives only now.
      slow.end(body.slice(10));

      for (const { answers, after } of results) {
        // Every answer before the last was a normal one on the kept-alive connection; the last closed it.
        expect(answers.length).toBeGreaterThan(1);
        expect(answers.slice(0, -1).every((a) => a.status === 200 && a.connection === 'keep-alive')).toBe(true);
        expect(answers.at(-1)!.connection).toBe('close');
        // Then the port is closed: refused, never reset.
        expect(after).toBe('ECONNREFUSED');
      }
      // Readiness says so: the last answers are 503 shutting_down (one under way as the signal came may be a 200).
      const lasts = results.map(({ answers }) => answers.at(-1)!);
      expect(lasts.every((a) => a.status === 200 || (a.status === 503 && JSON.parse(a.body).status === 'shutting_down'))).toBe(true);
      expect(lasts.some((a) => a.status === 503)).toBe(true);
      const answered = await slowAnswer;
      // invalid_request (no client authentication): answered in full, not dropped, and closing its connection.
      expect([answered.status, answered.connection]).toEqual([400, 'close']);
      expect(JSON.parse(answered.body)).toMatchObject({ error: 'invalid_request' });

      expect(idleAnswer).toMatch(/^HTTP\/1\.1 200 /);
      expect(await idleClosed).toBeUndefined(); // closed cleanly (FIN), not reset
      expect(await exitOf(server.child)).toBe(0);
      expect(server.output()).toContain('"msg":"stopped"');
      expect(server.output()).not.toContain('drain timeout');
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
