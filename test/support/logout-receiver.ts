// A partner's back-channel logout endpoint on loopback that records the logout tokens it receives; it can
// also fail its first requests, or answer every one with a redirect, to test retries and the outbound guard.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LogoutReceiver {
  url: string;
  tokens: string[];
  /** Every request received, failed ones included. */
  requests: number;
  server: Server;
}

export interface LogoutReceiverOptions {
  /** Answer the first N requests with 503 (their tokens are not recorded). */
  failFirst?: number;
  /** Answer every request with 307 to this URL. */
  redirectTo?: string;
}

export async function startLogoutReceiver(options: LogoutReceiverOptions = {}): Promise<LogoutReceiver> {
  const tokens: string[] = [];
  const receiver = { tokens, requests: 0 } as LogoutReceiver;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      receiver.requests += 1;
      if (options.redirectTo) return void res.writeHead(307, { location: options.redirectTo }).end();
      if (receiver.requests <= (options.failFirst ?? 0)) return void res.writeHead(503).end();
      const token = new URLSearchParams(body).get('logout_token');
      if (token) tokens.push(token);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.server = server;
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel`;
  return receiver;
}
