// Threat: SMS pumping (toll fraud): bots make us text numbers they earn from, many per number, from many
// addresses, or to expensive countries. Limits per number, per address, per country and a daily budget.
import pino from 'pino';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { runInRequestScope } from '../../server/middleware/request-scope.ts';
import { guardSmsSender, smsRules } from '../../server/security/sms-guard.ts';
import type { SecurityEvent } from '../../server/security/security-events.ts';
import { createWebhookSmsSender } from '../../server/sms/webhook-sms-sender.ts';
import { STORES } from '../support/test-server.ts';
import { startSmsSink, type SmsSink } from '../support/sms-sink.ts';
import { useMemberServer } from '../support/suite.ts';
import { browserFrom, loginPage } from '../support/attack.ts';
import { followLink } from '../support/member.ts';
import { uniquePhone } from '../support/phone.ts';

describe.each(STORES)('SMS sign-in requests per number and address (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', SMS_PER_NUMBER_PER_HOUR: '3', SMS_PER_IP_PER_HOUR: '5' });

  async function ask(ip: string, phone: string) {
    const ua = browserFrom(fx, ip);
    const emailForm = await followLink(ua, await loginPage(fx, ua), '/code');
    return ua.submit(await followLink(ua, emailForm, '/code/sms'), '/code/sms', { phone });
  }

  test('a fourth request for one number in an hour gets the "too many" page, member or not', async () => {
    const phone = uniquePhone();
    for (let i = 0; i < 3; i += 1) expect((await ask(`203.0.113.${70 + i}`, phone)).status).toBe(200);
    const refused = await ask('203.0.113.79', phone);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toContain('We cannot send more text messages');
  });

  test('one address asking for many numbers is stopped after its hourly allowance', async () => {
    for (let i = 0; i < 5; i += 1) expect((await ask('203.0.113.80', uniquePhone())).status).toBe(200);
    expect((await ask('203.0.113.80', uniquePhone())).status).toBe(429);
  });
});

describe('the SMS guard around the provider', () => {
  let sink: SmsSink;
  const stores: Storage[] = [];
  const events: SecurityEvent[] = [];
  const recorder = { record: async (event: SecurityEvent) => { events.push(event); } };
  const logLines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => logLines.push(line) });

  beforeAll(async () => {
    sink = await startSmsSink();
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await sink.close();
  });

  /** A guard on a store of its own, so each case starts with fresh counters. */
  async function guarded(settings: Partial<Parameters<typeof smsRules>[0]> = {}) {
    const storage = await openSqliteStorage({ dataDir: ':memory:' });
    stores.push(storage);
    const inner = createWebhookSmsSender({ url: sink.url, secret: sink.secret, logger });
    const rules = smsRules({ perNumberPerHour: 3, perIpPerHour: 10, dailyBudget: 1000, allowedCountries: undefined, ...settings });
    return guardSmsSender(inner, { store: storage.rateLimits, rules, events: recorder, logger });
  }

  const send = (sender: Awaited<ReturnType<typeof guarded>>, to: string, ip = '198.51.100.90') =>
    runInRequestScope({ requestId: 'test', ip, userAgent: 'test' }, () => sender.send({ to, text: 'Your code is 123456' }));

  test('numbers outside the allowed countries get no text, and the refusal is an audit event', async () => {
    const sender = await guarded({ allowedCountries: ['GB'] });
    await send(sender, uniquePhone());
    await expect(send(sender, '+12025550143')).rejects.toMatchObject({ code: 'rate_limited' });
    expect(sink.countFor('+12025550143')).toBe(0);
    expect(events.at(-1)).toMatchObject({ type: 'sms.blocked', reason: 'country' });
  });

  test('the daily budget stops every send once spent and raises one alert', async () => {
    const sender = await guarded({ dailyBudget: 2, perNumberPerHour: 100, perIpPerHour: 100 });
    await send(sender, uniquePhone());
    await send(sender, uniquePhone());
    const refused = [uniquePhone(), uniquePhone()];
    for (const to of refused) await expect(send(sender, to)).rejects.toBeInstanceOf(DomainError);
    for (const to of refused) expect(sink.countFor(to)).toBe(0);
    expect(events.filter((e) => e.type === 'sms.budget_exceeded')).toHaveLength(1);
    expect(logLines.filter((l) => l.includes('daily SMS budget exhausted'))).toHaveLength(1);
  });

  test('per number: the fourth text to one number in an hour is refused, from whatever address', async () => {
    const sender = await guarded();
    const to = uniquePhone();
    for (let i = 0; i < 3; i += 1) await send(sender, to, `198.51.100.${100 + i}`);
    await expect(send(sender, to, '198.51.100.110')).rejects.toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: expect.any(Number) } });
    expect(sink.countFor(to)).toBe(3);
  });
});
