// A webhook receiver on loopback for tests: verifies every delivery with the Standard Webhooks reference library
// (`standardwebhooks`), deduplicates by webhook-id, and can answer 500 a set number of times per path.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedMessage {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  type: string;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
  /** Which configured secrets verified it (by the name given to `expect`). */
  verifiedBy: string[];
}

export interface WebhookReceiver {
  url: string;
  /** Every delivery that arrived (wire level: duplicates included), in arrival order. */
  wire: ReceivedMessage[];
  /** First arrival of each webhook-id per path, in arrival order: what a deduplicating receiver processes. */
  unique(path: string): ReceivedMessage[];
  /** Secrets to verify deliveries to `path` with (named); a delivery none of them verifies is answered 401. */
  expect(path: string, secrets: Record<string, string>): void;
  /** The next `times` deliveries to `path` are answered 500 ("infinity" for always). */
  failNext(path: string, times: number): void;
  /** Deliveries to `path` are answered with a redirect to `location`. */
  redirect(path: string, location: string): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const wire: ReceivedMessage[] = [];
  const secrets = new Map<string, Record<string, string>>();
  const failures = new Map<string, number>();
  const redirects = new Map<string, string>();
  const server: Server = createServer((request, response) => {
    void readBody(request).then((payload) => {
      const path = request.url ?? '/';
      const headers = {
        'webhook-id': String(request.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
      };
      const verifiedBy: string[] = [];
      for (const [name, secret] of Object.entries(secrets.get(path) ?? {})) {
        try {
          new Webhook(secret).verify(payload, headers);
          verifiedBy.push(name);
        } catch {
          // Not this secret.
        }
      }
      if (verifiedBy.length === 0) {
        response.writeHead(401).end('bad signature');
        return;
      }
      const location = redirects.get(path);
      if (location) {
        response.writeHead(302, { location }).end();
        return;
      }
      const left = failures.get(path) ?? 0;
      if (left > 0) {
        failures.set(path, left - 1);
        response.writeHead(500, { 'content-type': 'text/plain' }).end('receiver down for maintenance');
        return;
      }
      const body = JSON.parse(payload) as ReceivedMessage['body'];
      wire.push({ path, id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], type: body.type, body, verifiedBy });
      response.writeHead(204).end();
    }, () => response.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    wire,
    unique(path) {
      const seen = new Set<string>();
      return wire.filter((m) => m.path === path && !seen.has(m.id) && seen.add(m.id));
    },
    expect(path, named) {
      secrets.set(path, named);
    },
    failNext(path, times) {
      failures.set(path, times);
    },
    redirect(path, location) {
      redirects.set(path, location);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
