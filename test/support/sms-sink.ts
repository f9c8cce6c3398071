// A real HTTP SMS provider on loopback that checks the webhook signature and keeps what it accepts, so
// tests read SMS codes the way members do (the SMS twin of smtp-sink.ts).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifyWebhookSignature, type SmsWebhookPayload } from '../../server/sms/webhook-sms-sender.ts';
import { waitFor } from './wait-for.ts';

/**
 * How long a test waits for a message before it fails. Generous on purpose: the wait ends as soon as the message
 * is there, and on a busy two-core machine (CI with builds beside it) a queued delivery once took over 10 s.
 */
const MAIL_WAIT_MS = 60_000;

export interface ReceivedSms extends SmsWebhookPayload {
  signature: string;
}

export interface RejectedSms {
  status: number;
  reason: 'signature' | 'body' | 'route';
  body: string;
}

export interface SmsSink {
  /** The webhook URL (http://127.0.0.1:<port>/sms). */
  url: string;
  /** The secret the sink checks signatures with (give it to the sender as SMS_WEBHOOK_SECRET). */
  secret: string;
  messages: ReceivedSms[];
  /** Requests answered 4xx by the sink itself (bad signature, bad JSON, wrong route). */
  rejections: RejectedSms[];
  /** Waits for message #`after`+1 to `to` (E.164) and returns its 6-digit code. */
  waitForCode(to: string, options?: { after?: number; timeoutMs?: number }): Promise<string>;
  waitForMessage(to: string, options?: { after?: number; timeoutMs?: number }): Promise<ReceivedSms>;
  countFor(to: string): number;
  /** The next request is answered with `status` and its message is not kept (a provider outage). */
  failNext(status: number): void;
  /** The next request gets no answer at all until close (a provider that hangs). */
  stallNext(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined));
    request.on('error', reject);
  });
}

function isPayload(value: unknown): value is SmsWebhookPayload {
  const v = value as Partial<Record<keyof SmsWebhookPayload, unknown>> | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && typeof v.to === 'string' && typeof v.text === 'string' && typeof v.createdAt === 'string';
}

export async function startSmsSink(options: { secret?: string } = {}): Promise<SmsSink> {
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const messages: ReceivedSms[] = [];
  const rejections: RejectedSms[] = [];
  const seenIds = new Set<string>();
  const planned: Array<number | 'stall'> = [];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const answer = (status: number, reason?: RejectedSms['reason']) => {
      if (reason) rejections.push({ status, reason, body: body?.toString('utf8') ?? '' });
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300 }));
    };
    if (request.method !== 'POST' || request.url !== '/sms') return answer(404, 'route');
    const plan = planned.shift();
    if (plan === 'stall') return;
    if (plan !== undefined) return answer(plan);
    if (!body) return answer(413, 'body');
    const signature = request.headers[SIGNATURE_HEADER.toLowerCase()];
    const header = Array.isArray(signature) ? signature[0] : signature;
    if (!verifyWebhookSignature(secret, header, body, Math.floor(Date.now() / 1000))) return answer(401, 'signature');
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      payload = undefined;
    }
    if (!isPayload(payload) || request.headers['content-type'] !== 'application/json') return answer(400, 'body');
    // Like a provider: a repeated id is acknowledged again but not delivered twice.
    if (!seenIds.has(payload.id)) {
      seenIds.add(payload.id);
      messages.push({ id: payload.id, to: payload.to, text: payload.text, createdAt: payload.createdAt, signature: header! });
    }
    answer(200);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const forRecipient = (to: string) => messages.filter((m) => m.to === to);

  function waitForMessage(to: string, { after = 0, timeoutMs = MAIL_WAIT_MS } = {}): Promise<ReceivedSms> {
    return waitFor(() => forRecipient(to)[after], { timeoutMs, what: `no SMS #${after + 1} for ${to}` });
  }

  return {
    url: `http://127.0.0.1:${port}/sms`,
    secret,
    messages,
    rejections,
    waitForMessage,
    async waitForCode(to, waitOptions) {
      const sms = await waitForMessage(to, waitOptions);
      // The code leads the text (and ends it again in the WebOTP line "@host #123456").
      const code = /(?<!\d)(\d{6})(?!\d)/.exec(sms.text)?.[1];
      if (!code) throw new Error(`no 6-digit code in the SMS to ${to}`);
      return code;
    },
    countFor: (to) => forRecipient(to).length,
    failNext(status) {
      planned.push(status);
    },
    stallNext() {
      planned.push('stall');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Stalled requests would otherwise keep the server open forever.
        server.closeAllConnections();
      }),
  };
}
