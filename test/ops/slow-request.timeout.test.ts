// Slow senders (slowloris headers, a trickled body) must not hold connections for Node's default 300 s: a
// request not received whole within REQUEST_TIMEOUT_SECONDS gets 408 and its connection is closed.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootServerProcess, stopServerProcess, type ServerProcess } from '../support/server-process.ts';

/** Writes `start` and then nothing more; resolves with what the server sent before closing the connection. */
function stall(url: string, start: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(start));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('a client that sends its request too slowly', () => {
  let dataDir: string;
  let server: ServerProcess;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-slow-'));
    // A short timeout keeps the test short; the default (30 s) is the same mechanism.
    server = await bootServerProcess({ DATA_DIR: dataDir, REQUEST_TIMEOUT_SECONDS: '2' });
  });
  afterAll(async () => {
    await stopServerProcess(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a body that stops arriving: 408 and the connection is closed', async () => {
    const head = 'POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n';
    const received = await stall(server.url, `${head}grant_type`);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('headers that never finish: 408 and the connection is closed', async () => {
    const received = await stall(server.url, 'GET /.well-known/openid-configuration HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('a prompt request on the same server is answered as usual', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
