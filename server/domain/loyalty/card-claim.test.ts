// CardClaimService on a real (in-memory SQLite) store, with the codes it issues in hand: where a code goes
// (email first, SMS only when configured, nowhere without a contact), that a code which went nowhere never
// claims a card even when right, that a code the mailer could not send does not hold the resend wait, and what
// a claim carries over into the account: the card's name into empty profile fields, its mobile as the phone.
import pino from 'pino';
import { KNOWN_FIELDS } from '../../../config/profile-fields.ts';
import { openSqliteStorage } from '../../../adapters/sqlite/index.ts';
import type { Account } from '../accounts/account.ts';
import { CodeService } from '../codes/code-service.ts';
import type { CodePurpose } from '../codes/codes.repository.ts';
import type { Mailer, OutgoingEmail } from '../mail/mailer.ts';
import { ProfileService } from '../profile/profile-service.ts';
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


/** A member whose sign-in meets the phone page's rule (recent, two factors). */
const STRONG = { mayAddPhone: true };
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
      importedMembers: storage.importedMembers, accounts: storage.accounts, profiles: new ProfileService(storage.profiles, KNOWN_FIELDS), loyalty, codes, mailer, sms: withSms ? sms : undefined, host: 'idp.example', logger: pino({ level: 'silent' }),
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
    expect(await claims.confirm(account, codes.last!, STRONG)).toEqual({ ok: true, cardNumber, points: 40, phoneOffered: false });
    expect((await storage.loyalty.findMember(account.id))?.balance).toBe(40);
  });

  it('sends it by SMS to a phone-only card when SMS is configured', async () => {
    const claims = service(true);
    await card({ phone: '+447911123456' });
    await claims.start(account, '00112233445566');
    await flush();
    expect(texts).toEqual([{ to: '+447911123456', text: expect.stringContaining(`${codes.last} is your code to add your loyalty card`) }]);
    expect(await claims.confirm(account, codes.last!, STRONG)).toMatchObject({ ok: true });
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
    expect(await claims.confirm(account, codes.last!, STRONG)).toEqual({ ok: false, reason: 'code.invalid' });
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

  describe('carrying the card over into the account', () => {
    const profileOf = async () => {
      const { fields } = await storage.profiles.find(account.id);
      return Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.value]));
    };
    async function claim(contact: Partial<NewImportedMember>, withSms = true, options = STRONG) {
      const claims = service(withSms);
      await card(contact);
      await claims.start(account, '00112233445566');
      await flush();
      return claims.confirm(account, codes.last!, options);
    }

    it('fills empty given and family names from the card\'s name', async () => {
      expect(await claim({ email: 'old@example.com', name: '  Ana   García Márquez ' })).toMatchObject({ ok: true });
      expect(await profileOf()).toEqual({ given_name: 'Ana', family_name: 'García Márquez' });
    });

    it('never replaces a name the member gave, and fills only what is empty', async () => {
      await storage.profiles.update(account.id, { values: { given_name: 'Annie' } }, new Date());
      expect(await claim({ email: 'old@example.com', name: 'Smith, Anne' })).toMatchObject({ ok: true });
      expect(await profileOf()).toEqual({ given_name: 'Annie', family_name: 'Smith' });
    });

    it.each([
      ['one word', 'Prince', { given_name: 'Prince' }],
      ['a name with digits', 'Pat 2nd', { given_name: 'Pat' }],
      ['nothing like a name', '#12 / ???', {}],
    ])('takes %s only as far as it fits the profile fields', async (_what, name, expected) => {
      expect(await claim({ email: 'old@example.com', name })).toMatchObject({ ok: true });
      expect(await profileOf()).toEqual(expected);
    });

    it('makes the card\'s mobile the account\'s verified phone when the code went there by SMS, and says so', async () => {
      expect(await claim({ phone: '+447911123456' })).toMatchObject({ ok: true });
      expect(await storage.accounts.findById(account.id)).toMatchObject({ phone: '+447911123456', contactChangedAt: expect.any(Date) });
      expect(mails.at(-1)!.text).toContain('Its mobile number +44 ••• ••• 3456 is now your account\'s verified phone');
    });

    it('only offers the card\'s mobile when the member\'s sign-in is not as strong as adding a phone needs', async () => {
      expect(await claim({ phone: '+447911123456' }, true, { mayAddPhone: false })).toMatchObject({ ok: true, phoneOffered: true });
      expect((await storage.accounts.findById(account.id))?.phone).toBeNull();
      expect(mails.at(-1)!.text).not.toContain('mobile number');
    });

    it('leaves the phone alone when the code went by email, when the account has one, or when another account holds it', async () => {
      expect(await claim({ email: 'old@example.com', phone: '+447911123456' })).toMatchObject({ ok: true });
      expect((await storage.accounts.findById(account.id))?.phone).toBeNull();
      expect(mails.at(-1)!.text).not.toContain('mobile number');

      account = await storage.accounts.create({ email: 'has-phone@example.com', emailVerified: true, passwordHash: null });
      await storage.accounts.setPhone(account.id, '+447911000001');
      await storage.importedMembers.importMany([{ cardNumber: '00112233445577', name: 'Pat', email: null, phone: '+447911000002', balance: 5 }]);
      const claims = service(true);
      await claims.start(account, '00112233445577');
      await flush();
      expect(await claims.confirm(account, codes.last!, STRONG)).toMatchObject({ ok: true });
      expect((await storage.accounts.findById(account.id))?.phone).toBe('+447911000001');

      const holder = await storage.accounts.create({ email: 'holder@example.com', emailVerified: true, passwordHash: null });
      await storage.accounts.setPhone(holder.id, '+447911000003');
      account = await storage.accounts.create({ email: 'no-phone@example.com', emailVerified: true, passwordHash: null });
      await storage.importedMembers.importMany([{ cardNumber: '00112233445588', name: 'Pat', email: null, phone: '+447911000003', balance: 7 }]);
      await claims.start(account, '00112233445588');
      await flush();
      expect(await claims.confirm(account, codes.last!, STRONG)).toEqual({ ok: true, cardNumber: '00112233445588', points: 7, phoneOffered: false });
      expect((await storage.accounts.findById(account.id))?.phone).toBeNull();
      expect((await storage.accounts.findById(holder.id))?.phone).toBe('+447911000003');
      expect((await storage.loyalty.findMember(account.id))?.balance).toBe(7);
    });
  });
});
