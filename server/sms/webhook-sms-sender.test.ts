// SMS delivery: the signed webhook against a real HTTP receiver (provider outages, hangs, wrong secrets,
// replays, tampering) and the dev outbox. Codes must never leak into logs or errors.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { smsSignInCode } from '../domain/sms/sms-texts.ts';
import { startSmsSink, type SmsSink } from '../../test/support/sms-sink.ts';
import { createOutboxSmsSender } from './outbox-sms-sender.ts';
import { createWebhookSmsSender, signWebhookBody, SmsDeliveryError, verifyWebhookSignature } from './webhook-sms-sender.ts';

const TO = '+447400123456';
const CODE = '482913';
const SECRET = 's'.repeat(40);

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('webhook SMS sender', () => {
  let sink: SmsSink;
  beforeEach(async () => {
    sink = await startSmsSink();
  });
  afterEach(() => sink.close());

  test('delivers signed JSON the receiver verifies, and logs only the masked number and id', async () => {
    const { logger, lines } = capturingLogger();
    const sender = createWebhookSmsSender({ url: sink.url, secret: sink.secret, logger });
    await sender.send(smsSignInCode(TO, CODE, 'id.example.com', 'en'));
    await sender.close();

    expect(await sink.waitForCode(TO)).toBe(CODE);
    const [message] = sink.messages;
    expect(message!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.isNaN(Date.parse(message!.createdAt))).toBe(false);
    expect(message!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(sink.rejections).toEqual([]);

    const logged = lines.join('');
    expect(logged).toContain(message!.id);
    expect(logged).toContain('+44 ••• ••• 3456');
    expect(logged).not.toContain(CODE);
    expect(logged).not.toContain(TO);
  });

  test('every message gets its own id, so the provider can drop only true repeats', async () => {
    const sender = createWebhookSmsSender({ url: sink.url, secret: sink.secret, logger: pino({ level: 'silent' }) });
    await sender.send({ to: TO, text: 'one 111111' });
    await sender.send({ to: TO, text: 'two 222222' });
    expect(sink.countFor(TO)).toBe(2);
    expect(new Set(sink.messages.map((m) => m.id)).size).toBe(2);
    expect(await sink.waitForCode(TO, { after: 1 })).toBe('222222');
  });

  test('a wrong secret is refused by the receiver and the send rejects', async () => {
    const sender = createWebhookSmsSender({ url: sink.url, secret: 'w'.repeat(40), logger: pino({ level: 'silent' }) });
    const error = await rejection(sender.send(smsSignInCode(TO, CODE, 'id.example.com', 'en')));
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect((error as SmsDeliveryError).status).toBe(401);
    expect(sink.messages).toEqual([]);
    expect(sink.rejections).toMatchObject([{ status: 401, reason: 'signature' }]);
  });

  test('a provider error rejects naming the status, never the text or the secret', async () => {
    const sender = createWebhookSmsSender({ url: sink.url, secret: sink.secret, logger: pino({ level: 'silent' }) });
    sink.failNext(500);
    const error = await rejection(sender.send(smsSignInCode(TO, CODE, 'id.example.com', 'en')));
    expect(error.message).toMatch(/HTTP 500/);
    expect(error.message).toContain('127.0.0.1');
    for (const secretPart of [CODE, sink.secret, TO]) expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain(secretPart);
    expect(sink.messages).toEqual([]);
    // The outage was one request: the next message goes through.
    await sender.send({ to: TO, text: 'again 123123' });
    expect(await sink.waitForCode(TO)).toBe('123123');
  });

  test('a redirect is not followed (it would replay the code elsewhere)', async () => {
    const sender = createWebhookSmsSender({ url: sink.url, secret: sink.secret, logger: pino({ level: 'silent' }) });
    sink.failNext(307);
    expect((await rejection(sender.send({ to: TO, text: CODE }))).message).toMatch(/HTTP 307/);
  });

  test('a provider that never answers fails the send within the timeout', async () => {
    const sender = createWebhookSmsSender({ url: sink.url, secret: sink.secret, logger: pino({ level: 'silent' }), timeoutMs: 300 });
    sink.stallNext();
    const started = Date.now();
    const error = await rejection(sender.send({ to: TO, text: CODE }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.message).toMatch(/timed out after 300 ms/);
    expect(error.message).not.toContain(CODE);
    await sender.close();
  });

  test('an unreachable provider rejects without the text', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const sender = createWebhookSmsSender({ url: `http://127.0.0.1:${port}/sms`, secret: SECRET, logger: pino({ level: 'silent' }) });
    const error = await rejection(sender.send({ to: TO, text: CODE }));
    expect(error.message).toMatch(/unreachable \(ECONNREFUSED\)/);
    expect(error.message).not.toContain(CODE);
  });
});

describe('webhook signature', () => {
  const body = JSON.stringify({ id: 'x', to: TO, text: `code ${CODE}`, createdAt: '2030-01-01T00:00:00.000Z' });
  const now = 1_900_000_000;

  test('signs "<t>.<body>" with HMAC-SHA256 in the Stripe layout and verifies it', () => {
    const header = signWebhookBody(SECRET, now, body);
    expect(header).toMatch(new RegExp(`^t=${now},v1=[0-9a-f]{64}$`));
    expect(verifyWebhookSignature(SECRET, header, body, now)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, Buffer.from(body), now + 299)).toBe(true);
  });

  test('refuses stale and future timestamps (replays)', () => {
    const header = signWebhookBody(SECRET, now, body);
    expect(verifyWebhookSignature(SECRET, header, body, now + 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body, now - 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body, now + 31, 30)).toBe(false);
  });

  test('refuses a tampered body, another secret, or a timestamp moved without re-signing', () => {
    const header = signWebhookBody(SECRET, now, body);
    expect(verifyWebhookSignature(SECRET, header, body.replace(TO, '+447400654321'), now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, `${body} `, now)).toBe(false);
    expect(verifyWebhookSignature('o'.repeat(40), header, body, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header.replace(`t=${now}`, `t=${now + 1}`), body, now)).toBe(false);
  });

  test('accepts any of several v1 signatures (secret rotation)', () => {
    const old = signWebhookBody('o'.repeat(40), now, body).split(',')[1];
    const current = signWebhookBody(SECRET, now, body);
    expect(verifyWebhookSignature(SECRET, `${current},${old}`, body, now)).toBe(true);
    expect(verifyWebhookSignature(SECRET, `t=${now},${old}`, body, now)).toBe(false);
  });

  test.each([
    ['missing', undefined],
    ['empty', ''],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no signature', `t=${now}`],
    ['a non-numeric timestamp', `t=soon,v1=${'a'.repeat(64)}`],
    ['two timestamps', `t=${now},t=${now},v1=${'a'.repeat(64)}`],
    ['a short signature', `t=${now},v1=abc`],
    ['an upper-case signature', `t=${now},v1=${'A'.repeat(64)}`],
    ['a part without =', `t=${now},v1`],
    ['a part with two =', `t=${now},v1=${'a'.repeat(64)}=`],
    ['a huge header', `t=${now},${'x=1,'.repeat(1000)}v1=${'a'.repeat(64)}`],
  ])('refuses a malformed header: %s', (_name, header) => {
    expect(verifyWebhookSignature(SECRET, header, body, now)).toBe(false);
  });
});

describe('dev outbox SMS sender', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-sms-outbox-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('appends one JSON line per message to DATA_DIR/sms-outbox.jsonl, readable by its owner only', async () => {
    const dir = join(dataDir, 'nested');
    const sender = createOutboxSmsSender(dir, pino({ level: 'silent' }));
    await sender.send(smsSignInCode(TO, CODE, 'localhost', 'en'));
    await sender.send({ to: '+33612345678', text: 'second' });
    await sender.close();
    const file = join(dir, 'sms-outbox.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { at: string; to: string; text: string });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ to: TO });
    expect(lines[0]!.text).toContain(CODE);
    expect(lines[1]).toMatchObject({ to: '+33612345678', text: 'second' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
