// Creates the Mongo indexes at open; TTL is best effort (FerretDB 1.24 rejects it) since reads and the sweeper check expiry anyway.
import type { IndexDirection, IndexSpecification } from 'mongodb';
import type { Collection } from 'mongoose';
import type { Models } from './models.ts';

interface IndexPlan {
  key: Record<string, IndexDirection>;
  name: string;
  unique?: boolean;
  /** Seconds after `expiresAt` at which the server may delete the document, where TTL is supported. */
  ttlSeconds?: number;
}

/** Expired codes are kept a day so the member is told "expired" rather than "wrong code". */
const CODE_TTL_GRACE_SECONDS = 24 * 60 * 60;

function plans(models: Models): Array<[Collection, IndexPlan[]]> {
  return [
    [models.identifiers.collection, [{ key: { accountId: 1 }, name: 'accountId_1' }]],
    // Uniqueness lives in `identifiers` (claimed before any account write). The index on email only serves
    // lookups: phone-first members have no email, and a unique index would let only one of them exist (FerretDB
    // has no partial indexes to leave them out). ensureIndexes drops the unique one an older release made.
    [models.accounts.collection, [{ key: { email: 1 }, name: 'email_lookup' }]],
    [models.keys.collection, [{ key: { createdAt: 1, _id: 1 }, name: 'createdAt_1__id_1' }]],
    [models.codes.collection, [{ key: { expiresAt: 1 }, name: 'expiresAt_1', ttlSeconds: CODE_TTL_GRACE_SECONDS }]],
    [
      models.codeEvents.collection,
      [
        { key: { nonce: 1, kind: 1 }, name: 'nonce_1_kind_1' },
        { key: { codeId: 1 }, name: 'codeId_1' },
        { key: { expiresAt: 1 }, name: 'expiresAt_1', ttlSeconds: CODE_TTL_GRACE_SECONDS },
      ],
    ],
    [models.factors.collection, [{ key: { accountId: 1, createdAt: 1, _id: 1 }, name: 'accountId_1_createdAt_1__id_1' }]],
    [models.recoveryCodes.collection, [{ key: { accountId: 1, codeHash: 1 }, name: 'accountId_1_codeHash_1' }]],
    [models.recoveryCodeUses.collection, [{ key: { accountId: 1 }, name: 'accountId_1' }]],
    // An expired use record blocks nothing, so the server may drop it at once.
    [models.factorUses.collection, [{ key: { expiresAt: 1 }, name: 'expiresAt_1', ttlSeconds: 0 }]],
    [models.factorUseTakeovers.collection, [{ key: { expiresAt: 1 }, name: 'expiresAt_1', ttlSeconds: 0 }]],
    [models.passkeys.collection, [{ key: { accountId: 1, createdAt: 1, _id: 1 }, name: 'accountId_1_createdAt_1__id_1' }]],
    // Serves both the highest use of a passkey (its true counter) and the cleanup of its older uses.
    [models.passkeyUses.collection, [{ key: { passkeyId: 1, counter: -1 }, name: 'passkeyId_1_counter_-1' }]],
    // Uniqueness lives in `identifiers` (card:<number>); this unique index is a second line of defence.
    [models.loyaltyMembers.collection, [{ key: { memberNumber: 1 }, name: 'memberNumber_1', unique: true }]],
    [
      models.ledgerEntries.collection,
      [
        // Serves a member's newest entry (its balance), its pages of history and its sum.
        { key: { accountId: 1, sequence: -1 }, name: 'accountId_1_sequence_-1' },
        // One entry per key even if a pending claim is resolved under a post still in flight (see loyalty.ts).
        { key: { idempotencyKey: 1 }, name: 'idempotencyKey_1', unique: true },
      ],
    ],
    [models.ledgerKeys.collection, [{ key: { status: 1, createdAt: 1 }, name: 'status_1_createdAt_1' }]],
    [
      models.heldRedemptions.collection,
      [
        // The review queue (oldest first, paged by _id), the recovery of pending holds, and a member's holds.
        { key: { status: 1, createdAt: 1, _id: 1 }, name: 'status_1_createdAt_1__id_1' },
        { key: { accountId: 1, createdAt: -1 }, name: 'accountId_1_createdAt_-1' },
      ],
    ],
    [models.holdDecisions.collection, [{ key: { decidedAt: 1 }, name: 'decidedAt_1' }]],
    [models.partners.collection, [{ key: { createdAt: 1, _id: 1 }, name: 'createdAt_1__id_1' }]],
    // One hook per point: a sign-in waits on at most one callout.
    [models.hooks.collection, [{ key: { point: 1 }, name: 'point_1', unique: true }]],
    [models.connections.collection, [{ key: { createdAt: 1, _id: 1 }, name: 'createdAt_1__id_1' }]],
    [models.federatedIdentities.collection, [{ key: { accountId: 1 }, name: 'accountId_1' }]],
    [models.samlAssertionIds.collection, [{ key: { expiresAt: 1 }, name: 'expiresAt_1', ttlSeconds: 0 }]],
    // A member's links (erasure, "Apps and partners"), and a partner's (the console counts its members).
    [models.partnerLinks.collection, [{ key: { accountId: 1 }, name: 'accountId_1' }, { key: { partnerId: 1 }, name: 'partnerId_1' }]],
    // A member's client uses, for the "Apps and partners" page and erasure.
    [models.clientUses.collection, [{ key: { accountId: 1 }, name: 'accountId_1' }]],
    [
      models.couponCampaigns.collection,
      [
        // One code per partner: a unique insert, which FerretDB 1.24 makes atomic.
        { key: { partnerId: 1, code: 1 }, name: 'partnerId_1_code_1', unique: true },
        { key: { code: 1 }, name: 'code_1' },
        // A partner's campaigns, oldest first (GET /campaigns).
        { key: { partnerId: 1, createdAt: 1, _id: 1 }, name: 'partnerId_1_createdAt_1__id_1' },
      ],
    ],
    [
      models.couponUses.collection,
      [
        { key: { campaignId: 1, kind: 1, accountId: 1 }, name: 'campaignId_1_kind_1_accountId_1' },
        { key: { idempotencyKey: 1 }, name: 'idempotencyKey_1' },
        // Uses whose credit is not confirmed: few, found by the recovery sweep.
        { key: { kind: 1, creditedAt: 1, createdAt: 1 }, name: 'kind_1_creditedAt_1_createdAt_1' },
        // The slots of one redemption attempt, given back together when a retry abandons it.
        { key: { attemptId: 1 }, name: 'attemptId_1' },
      ],
    ],
    // A campaign's codes in code order (bounded by the campaign: at most 10,000), and codes of any partner.
    [models.couponCodes.collection, [{ key: { campaignId: 1, code: 1 }, name: 'campaignId_1_code_1' }, { key: { code: 1 }, name: 'code_1' }]],
    [models.couponCodeUses.collection, [{ key: { campaignId: 1 }, name: 'campaignId_1' }, { key: { useId: 1, createdAt: 1 }, name: 'useId_1_createdAt_1' }, { key: { attemptId: 1 }, name: 'attemptId_1' }]],
    [models.couponKeys.collection, [{ key: { useId: 1, createdAt: 1 }, name: 'useId_1_createdAt_1' }]],
    // A code's latest claim generation (coupon-code-claims.ts).
    [models.couponCodeClaims.collection, [{ key: { code: 1, gen: -1 }, name: 'code_1_gen_-1' }]],
    [models.profileFields.collection, [{ key: { accountId: 1 }, name: 'accountId_1' }]],
    [models.knownDevices.collection, [{ key: { accountId: 1, lastSeenAt: -1 }, name: 'accountId_1_lastSeenAt_-1' }]],
    [models.consents.collection, [{ key: { accountId: 1 }, name: 'accountId_1' }]],
    [models.purposeConsentRecords.collection, [{ key: { accountId: 1, at: 1, seq: 1 }, name: 'accountId_1_at_1_seq_1' }]],
    [models.purposeConsentReceipts.collection, [{ key: { accountId: 1, issuedAt: -1 }, name: 'accountId_1_issuedAt_-1' }]],
    [
      models.auditEvents.collection,
      [
        // Newest-first pages of one account, of everyone, and of some types; retention deletes by `at` too.
        { key: { accountId: 1, at: -1, _id: -1 }, name: 'accountId_1_at_-1__id_-1' },
        { key: { at: -1, _id: -1 }, name: 'at_-1__id_-1' },
        { key: { type: 1, at: -1, _id: -1 }, name: 'type_1_at_-1__id_-1' },
        // Issue 20: the console's security page filters by address (an attacker's trail) newest first.
        { key: { ip: 1, at: -1, _id: -1 }, name: 'ip_1_at_-1__id_-1' },
      ],
    ],
    // The relay reads ready events oldest first (and recovery pending ones); replays read an _id range (UUIDv7).
    [models.events.collection, [{ key: { state: 1, _id: 1 }, name: 'state_1__id_1' }]],
    // Lanes' heads (pending by webhook, member and event order), due deliveries, and a webhook's history.
    [
      models.webhookDeliveries.collection,
      [
        { key: { status: 1, nextAt: 1 }, name: 'status_1_nextAt_1' },
        { key: { status: 1, webhookId: 1, lane: 1, eventId: 1 }, name: 'status_1_webhookId_1_lane_1_eventId_1' },
        { key: { webhookId: 1, eventId: -1 }, name: 'webhookId_1_eventId_-1' },
        // An event's deliveries: erasure and retention remove them with the event.
        { key: { eventId: 1 }, name: 'eventId_1' },
      ],
    ],
    // Heads and slots are looked up by _id only; this serves the sweeper and TTL (nothing blocks once expired).
    [models.rateLimitWindows.collection, [{ key: { expiresAt: 1 }, name: 'expiresAt_1', ttlSeconds: 0 }]],
    [models.rateLimitSlots.collection, [{ key: { expiresAt: 1 }, name: 'expiresAt_1', ttlSeconds: 0 }]],
    [
      models.oidc.collection,
      [
        { key: { model: 1, uid: 1 }, name: 'model_1_uid_1' },
        { key: { model: 1, userCode: 1 }, name: 'model_1_userCode_1' },
        { key: { model: 1, grantId: 1 }, name: 'model_1_grantId_1' },
        { key: { model: 1, accountId: 1 }, name: 'model_1_accountId_1' },
        { key: { expiresAt: 1 }, name: 'expiresAt_1', ttlSeconds: 0 },
      ],
    ],
    // Duplicate detection (issue 21 item 1): the claimers of cards by contact phone, the cards of a claimer, and
    // the members born on one day; each question it asks is one of these look-ups, never a scan.
    [models.importedMembers.collection, [{ key: { phone: 1 }, name: 'phone_1' }]],
    [models.importedMemberClaims.collection, [{ key: { accountId: 1 }, name: 'accountId_1' }]],
    [models.profileFields.collection, [{ key: { name: 1, value: 1 }, name: 'name_1_value_1' }]],
  ];
}

/** FerretDB 1.24 answers `NotImplemented` (238) for the expireAfterSeconds option. */
function isTtlUnsupported(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, codeName, message } = error as { code?: unknown; codeName?: unknown; message?: unknown };
  return code === 238 || codeName === 'NotImplemented' || (typeof message === 'string' && /expireAfterSeconds.*not implemented/i.test(message));
}

/** Indexes an older release made that must go before the plans apply (name per collection). */
function retired(models: Models): Array<[Collection, string]> {
  // Unique on accounts.email (every account had one until phone-first members, issue 21).
  return [[models.accounts.collection, 'email_1']];
}

export async function ensureIndexes(models: Models): Promise<void> {
  for (const [collection, name] of retired(models)) {
    const present = await collection.indexExists(name).catch(() => false);
    if (present) await collection.dropIndex(name);
  }
  for (const [collection, indexes] of plans(models)) {
    for (const plan of indexes) {
      const key: IndexSpecification = plan.key;
      const unique = plan.unique ?? false;
      if (plan.ttlSeconds === undefined) {
        await collection.createIndex(key, { name: plan.name, unique });
        continue;
      }
      try {
        await collection.createIndex(key, { name: plan.name, expireAfterSeconds: plan.ttlSeconds });
      } catch (error) {
        if (!isTtlUnsupported(error)) throw error;
        // Same key without TTL: the sweeper's range delete still needs the index.
        await collection.createIndex(key, { name: plan.name });
      }
    }
  }
}
