// The storage contract: one behaviour suite every adapter must pass unchanged (design §4).
import type { Storage } from '../../server/domain/storage.ts';
import { describeAccountsContract } from './accounts.contract.ts';
import { describeAuditContract } from './audit.contract.ts';
import { describeClientsContract, type OpenClientStores } from './clients.contract.ts';
import { describeCodesContract } from './codes.contract.ts';
import { describeConnectionsContract, describeFederatedIdentitiesContract } from './connections.contract.ts';
import { describeSamlAssertionIdsContract } from './saml-assertion-ids.contract.ts';
import { describeCouponCodesContract } from './coupon-codes.contract.ts';
import { describeCouponsContract } from './coupons.contract.ts';
import { describeDevicesContract } from './devices.contract.ts';
import { describeConsentsContract } from './consents.contract.ts';
import { describeAppSharingContract } from './app-sharing.contract.ts';
import { describeFactorsContract } from './factors.contract.ts';
import { describeHeldRedemptionsContract } from './held-redemptions.contract.ts';
import { describeHooksContract } from './hooks.contract.ts';
import { useStorage, type OpenStoragePair } from './harness.ts';
import { describeImportedMembersContract } from './imported-members.contract.ts';
import { describeKeysContract } from './keys.contract.ts';
import { describeLoyaltyContract } from './loyalty.contract.ts';
import { describeMergesContract } from './merges.contract.ts';
import { describeOidcStoreContract } from './oidc-store.contract.ts';
import { describePartnersContract } from './partners.contract.ts';
import { describePasskeysContract } from './passkeys.contract.ts';
import { describePrivacyContract } from './privacy.contract.ts';
import { describePurposeConsentsContract } from './purpose-consents.contract.ts';
import { describeProfilesContract } from './profiles.contract.ts';
import { describeRateLimitsContract } from './rate-limits.contract.ts';
import { describeStaffContract } from './staff.contract.ts';
import { describeWebhooksContract } from './webhooks.contract.ts';

/**
 * `open` must return a fresh, isolated, empty store on every call (each port group opens its own);
 * `openPair` two stores on one fresh location, for what must hold across processes; `clientStores` a fresh
 * location with openers for a store that seals client secrets and one without the key (what is at rest).
 */
export function describeStorageContract(name: string, open: () => Promise<Storage>, openPair: OpenStoragePair, clientStores: OpenClientStores): void {
  describe(`storage contract: ${name}`, () => {
    describeAccountsContract(open);
    describeClientsContract(open, openPair, clientStores);
    describeKeysContract(open);
    describeCodesContract(open);
    describeFactorsContract(open);
    describePasskeysContract(open);
    describeLoyaltyContract(open);
    describeHeldRedemptionsContract(open);
    describeMergesContract(open);
    describeImportedMembersContract(open);
    describePartnersContract(open);
    describeConnectionsContract(open);
    describeFederatedIdentitiesContract(open);
    describeSamlAssertionIdsContract(open);
    describeCouponsContract(open);
    describeCouponCodesContract(open);
    describeProfilesContract(open);
    describeDevicesContract(open);
    describeConsentsContract(open);
    describeAppSharingContract(open);
    describePurposeConsentsContract(open);
    describeAuditContract(open);
    describeHooksContract(open);
    describeWebhooksContract(open);
    describeOidcStoreContract(open);
    describePrivacyContract(open);
    describeStaffContract(open);
    describeRateLimitsContract(async () => {
      const [first, second] = await openPair();
      return {
        store: first.rateLimits,
        twin: second.rateLimits,
        async close() {
          await first.close();
          await second.close();
        },
      };
    });

    describe('lifecycle', () => {
      it('answers ping and the write probe while open and refuses both after close; close is idempotent', async () => {
        const storage = await open();
        expect(['sqlite', 'mongo']).toContain(storage.kind);
        await expect(storage.ping()).resolves.toBeUndefined();
        await expect(storage.canWrite()).resolves.toBeUndefined();
        await expect(storage.canWrite()).resolves.toBeUndefined(); // the probe row exists now: an update
        await storage.close();
        await expect(storage.ping()).rejects.toThrow();
        await expect(storage.canWrite()).rejects.toThrow();
        await expect(storage.close()).resolves.toBeUndefined();
      });

      describe('an empty store', () => {
        const storage = useStorage(open);
        it('has no accounts, clients or keys', async () => {
          expect(await storage().accounts.count()).toBe(0);
          expect(await storage().clients.list({ limit: 10 })).toEqual([]);
          expect(await storage().keys.list()).toEqual([]);
          expect(await storage().oidc.sweepExpired(new Date(8.64e15))).toBe(0);
          expect(await storage().factors.sweepExpiredUses(new Date(8.64e15))).toBe(0);
          expect(await storage().rateLimits.sweepExpired(new Date(8.64e15))).toBe(0);
        });
      });
    });
  });
}
