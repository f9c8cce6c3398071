// Contract: PurposeConsentsRepository — append-only records of grants and refusals, one receipt per change, the
// change's consent.changed events written with it, reads scoped to the member, and erasure keeping receipts
// under the tombstone without their JWS (privacy store).
import { randomUUID } from 'node:crypto';
import { purposeConsentChangedEvent } from '../../server/domain/consent/purpose-consent-event.ts';
import type { ConsentReceipt, PurposeConsentRecord } from '../../server/domain/consent/purpose-consents.repository.ts';
import { useStorage, type OpenStorage } from './harness.ts';

export function describePurposeConsentsContract(open: OpenStorage): void {
  describe('purpose consents', () => {
    const storage = useStorage(open);
    const store = () => storage().purposeConsents;

    function change(accountId: string, at: Date, decisions: Array<[string, boolean]>) {
      const receiptId = randomUUID();
      const records: PurposeConsentRecord[] = decisions.map(([purpose, granted]) => ({
        id: randomUUID(), accountId, purpose, version: 1, granted, at, channel: 'web', clientId: 'shop', method: 'account_page', receiptId,
      }));
      const receipt: ConsentReceipt = { id: receiptId, accountId, issuedAt: at, jws: `header.${receiptId}.signature`, decisions: decisions.map(([purpose, granted]) => ({ purpose, version: 1, granted })), method: 'account_page' };
      return { records, receipt, events: records.map(purposeConsentChangedEvent) };
    }

    it('keeps every record in order (a change\'s records in their order), its receipt, and its events', async () => {
      const [member, other] = [randomUUID(), randomUUID()];
      const first = change(member, new Date('2026-12-01T10:00:00Z'), [['marketing_email', true], ['profiling', false]]);
      const second = change(member, new Date('2026-12-02T10:00:00Z'), [['marketing_email', false]]);
      await store().record(second);
      await store().record(first);
      await store().record(change(other, new Date('2026-12-01T09:00:00Z'), [['analytics', true]]));
      expect((await store().listRecords(member)).map((r) => [r.purpose, r.granted])).toEqual([['marketing_email', true], ['profiling', false], ['marketing_email', false]]);
      expect(await store().listRecords(member)).toEqual([...first.records, ...second.records]);
      expect(await store().listReceipts(member)).toEqual([second.receipt, first.receipt]);
      expect(await store().findReceipt(member, first.receipt.id)).toEqual(first.receipt);
      expect(await store().findReceipt(other, first.receipt.id)).toBeUndefined();
      const events = await storage().events.findMany(first.events.map((event) => event.id));
      expect(events.map((event) => [event.type, event.memberId, event.data.purpose, event.data.granted])).toEqual(
        expect.arrayContaining([['consent.changed', member, 'marketing_email', true], ['consent.changed', member, 'profiling', false]]),
      );
      expect((await storage().events.unpublished(1000)).map((event) => event.id)).toEqual(expect.arrayContaining(first.events.map((event) => event.id)));
    });

    it('erasure deletes the records and keeps each receipt\'s decisions under the tombstone, without the JWS', async () => {
      const member = randomUUID();
      const given = change(member, new Date('2026-12-01T10:00:00Z'), [['partner_sharing', true]]);
      await store().record(given);
      const tombstone = randomUUID();
      await storage().privacy.eraseMember({ accountId: member, email: `${member}@example.com`, phone: null, tombstone });
      expect(await store().listRecords(member)).toEqual([]);
      expect(await store().listReceipts(member)).toEqual([]);
      expect(await store().listReceipts(tombstone)).toEqual([{ ...given.receipt, accountId: tombstone, jws: null }]);
    });
  });
}
