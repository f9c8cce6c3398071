// A partner's back-channel logout endpoint on loopback that records the logout tokens it receives.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LogoutReceiver {
  url: string;
  tokens: string[];
  server: Server;
}

export async function startLogoutReceiver(): Promise<LogoutReceiver> {
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) tokens.push(token);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel`, tokens, server };
}
