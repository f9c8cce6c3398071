// CardClaimService on a real (in-memory SQLite) store, with the codes it issues in hand: where a code goes
// (email first, SMS only when configured, nowhere without a contact), that a code which went nowhere never
// claims a card even when right, and that a code the mailer could not send does not hold the resend wait.
import pino from 'pino';
import { openSqliteStorage } from '../../../adapters/sqlite/index.ts';
import type { Account } from '../accounts/account.ts';
import { CodeService } from '../codes/code-service.ts';
import type { CodePurpose } from '../codes/codes.repository.ts';
import type { Mailer, OutgoingEmail } from '../mail/mailer.ts';
import type { OutgoingSms, SmsSender } from '../sms/sms-sender.ts';
import type { Storage } from '../storage.ts';
import { CardClaimService } from './card-claim.ts';
import type { NewImportedMember } from './imported-members.repository.ts';
import { LoyaltyService } from './loyalty-service.ts';

/** A CodeService that remembers the last code it issued, as a lucky guess would know it. */
class KnownCodes extends CodeService {
  last: string | undefined;

  override async issue(purpose: CodePurpose, subject: string, data: Record<string, string> | null = null, options: { ignoreCooldown?: boolean } = {}) {
    const issued = await super.issue(purpose, subject, data, options);
    if (issued.ok) this.last = issued.code;
    return issued;
  }
}

/** Lets the sends the service starts after answering finish. */
const flush = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('CardClaimService', () => {
  let storage: Storage;
  let codes: KnownCodes;
  let mails: OutgoingEmail[];
  let texts: OutgoingSms[];
  let account: Account;
  let failMail: boolean;

  const mailer: Mailer = {
    async send(message) {
      if (failMail) throw new Error('SMTP down');
      mails.push(message);
    },
    async close() {},
  };
  const sms: SmsSender = { async send(message) { texts.push(message); }, async close() {} };

  function service(withSms: boolean): CardClaimService {
    const loyalty = new LoyaltyService(storage.loyalty);
    return new CardClaimService({
      importedMembers: storage.importedMembers, loyalty, codes, mailer, sms: withSms ? sms : undefined, host: 'idp.example', logger: pino({ level: 'silent' }),
    });
  }

  async function card(overrides: Partial<NewImportedMember>): Promise<NewImportedMember> {
    const record = { cardNumber: '00112233445566', name: 'Pat', email: null, phone: null, balance: 40, ...overrides };
    await storage.importedMembers.importMany([record]);
    return record;
  }

  beforeEach(async () => {
    storage = await openSqliteStorage({ dataDir: ':memory:' });
    codes = new KnownCodes(storage.codes, Buffer.alloc(32, 3), 60);
    mails = [];
    texts = [];
    failMail = false;
    account = await storage.accounts.create({ email: 'member@example.com', emailVerified: true, passwordHash: null });
  });
  afterEach(async () => storage.close());

  it('sends the code by email when the card has an email, even with a phone too', async () => {
    const claims = service(true);
    const { cardNumber } = await card({ email: 'old@example.com', phone: '+447911123456' });
    expect(await claims.start(account, '0011 2233 4455 66')).toEqual({ status: 'sent_if_ours', retryAfterSeconds: 0 });
    await flush();
    expect(mails.map((m) => m.to)).toEqual(['old@example.com']);
    expect(mails[0]!.text).toContain(codes.last);
    expect(texts).toEqual([]);
    expect(await claims.confirm(account, codes.last!)).toEqual({ ok: true, cardNumber, points: 40 });
    expect((await storage.loyalty.findMember(account.id))?.balance).toBe(40);
  });

  it('sends it by SMS to a phone-only card when SMS is configured', async () => {
    const claims = service(true);
    await card({ phone: '+447911123456' });
    await claims.start(account, '00112233445566');
    await flush();
    expect(texts).toEqual([{ to: '+447911123456', text: expect.stringContaining(`${codes.last} is your code to add your loyalty card`) }]);
    expect(await claims.confirm(account, codes.last!)).toMatchObject({ ok: true });
  });

  it.each([
    ['a phone-only card when SMS is not configured', false, { phone: '+447911123456' }],
    ['a card with no contact at all', true, {}],
  ])('answers %s like any other card, sends nothing, and even the right code claims nothing', async (_name, withSms, contact) => {
    const claims = service(withSms);
    expect(claims.smsEnabled).toBe(withSms);
    const { cardNumber } = await card(contact);
    expect(await claims.start(account, cardNumber)).toEqual({ status: 'sent_if_ours', retryAfterSeconds: 0 });
    await flush();
    expect([mails, texts]).toEqual([[], []]);
    expect(codes.last).toMatch(/^\d{6}$/);
    expect(await claims.confirm(account, codes.last!)).toEqual({ ok: false, reason: 'code.invalid' });
    expect(await storage.importedMembers.find(cardNumber)).toMatchObject({ claimedBy: null });
    expect(await storage.loyalty.findMember(account.id)).toBeUndefined();
  });

  it('starts the resend wait for an unknown card just as for a card on file', async () => {
    const claims = service(true);
    await card({ email: 'old@example.com' });
    expect(await claims.start(account, '99887766554433')).toEqual({ status: 'sent_if_ours', retryAfterSeconds: 0 });
    expect(await claims.start(account, '00112233445566')).toEqual({ status: 'sent_if_ours', retryAfterSeconds: 60 });
    await flush();
    expect(mails).toEqual([]);
  });

  it('discards a code the mailer could not send, so the member can ask again at once', async () => {
    const claims = service(true);
    await card({ email: 'old@example.com' });
    failMail = true;
    expect(await claims.start(account, '00112233445566')).toEqual({ status: 'sent_if_ours', retryAfterSeconds: 0 });
    await flush();
    expect(await storage.codes.find('card_claim', account.id)).toBeUndefined();
    failMail = false;
    expect(await claims.start(account, '00112233445566')).toEqual({ status: 'sent_if_ours', retryAfterSeconds: 0 });
    await flush();
    expect(mails).toHaveLength(1);
  });

  it('refuses malformed card numbers before looking anything up', async () => {
    const claims = service(true);
    for (const typed of ['', '1234567', '1'.repeat(20), '1234x5678', '1'.repeat(41)]) {
      expect(await claims.start(account, typed)).toEqual({ status: 'invalid' });
    }
    expect(await storage.codes.find('card_claim', account.id)).toBeUndefined();
  });
});
