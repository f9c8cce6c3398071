// Composition root: storage → services → oidc-provider. No DI framework; everything is built here, once.
import Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { openStorage } from '../adapters/index.ts';
import { createOidcAdapter } from '../adapters/oidc-adapter.ts';
import type { Config } from '../config/index.ts';
import { providerConfiguration } from '../config/provider.ts';
import { FlowCookie } from '../interactions/shared/flow-state.ts';
import type { InteractionDeps } from '../interactions/shared/deps.ts';
import { AccountService } from './domain/accounts/account-service.ts';
import { AuditLog } from './domain/audit/audit-log.ts';
import { CardClaimService } from './domain/loyalty/card-claim.ts';
import { LoyaltyService } from './domain/loyalty/loyalty-service.ts';
import { PartnerLinks } from './domain/partners/partner-links.ts';
import { CouponService } from './domain/coupons/coupon-service.ts';
import { ProfileService } from './domain/profile/profile-service.ts';
import { ensureBootstrapAdminClient } from './domain/clients/bootstrap-admin.ts';
import { ensureStaffOwner } from './domain/staff/bootstrap-owner.ts';
import { CodeService } from './domain/codes/code-service.ts';
import { emailCodeFactor, smsCodeFactor } from './domain/factors/code-factor.ts';
import { PhoneService } from './domain/accounts/phone-service.ts';
import { TotpFactor } from './domain/factors/totp-factor.ts';
import { PasskeyService } from './domain/passkeys/passkey-service.ts';
import { PasskeyOffer } from '../interactions/passkey/offer.ts';
import { SigningKeys } from './domain/keys/key-service.ts';
import { applyKeySnapshot } from './oidc/provider-keystore.ts';
import type { Mailer } from './domain/mail/mailer.ts';
import { FederatedSignIn } from './domain/connections/federated-sign-in.ts';
import { UpstreamOidc } from './domain/connections/upstream-oidc.ts';
import { UpstreamSaml } from './domain/connections/upstream-saml.ts';
import { buildSamlIdpDeps } from '../interactions/saml-idp/saml-idp-deps.ts';
import { createOutboxMailer } from './mail/outbox-mailer.ts';
import { createSmtpMailer } from './mail/smtp-mailer.ts';
import { brandedMailer } from './mail/branded-mailer.ts';
import { DeliveryQueue, queuedMailer, queuedSmsSender } from './mail/delivery-queue.ts';
import { Csrf } from './middleware/koa-csrf.ts';
import { currentRequest } from './middleware/request-scope.ts';
import { createAttackProtection } from './security/attack-protection.ts';
import { CouponDeviceGuard } from './security/risk/coupon-device-guard.ts';
import { RedemptionRisk } from './security/risk/redemption-risk.ts';
import { BotChallenge } from './security/bot-challenge/bot-challenge.ts';
import { createRangeBreachedPasswords } from './passwords/range-breached-passwords.ts';
import { deriveKey } from './security/crypto.ts';
import { BackchannelLogout } from './sessions/backchannel-logout.ts';
import { SessionBindings } from './sessions/session-bindings.ts';
import { SessionGuard } from './sessions/session-guard.ts';
import { MemberSessions } from './sessions/member-sessions.ts';
import { OwnershipProofs } from './domain/member-merge/ownership-proof.ts';
import { MemberMerge } from './domain/merge/member-merge.ts';
import { EmailChangeService } from './domain/accounts/email-change.ts';
import { loadGeoLookup } from './security/geo/ip-country.ts';
import { countryCentroid, distanceKm } from './security/geo/country-centroids.ts';
import { join } from 'node:path';
import { createLegacyVerifier } from './domain/accounts/legacy-verify.ts';
import { ImportJobs } from './domain/accounts/import-jobs.ts';
import { MemberImporter } from './domain/accounts/member-import.ts';
import { createOutboundClient, operatorTargets, partnerTargets } from './security/outbound/outbound-fetch.ts';
import { createPartnerLogos } from './branding/partner-logos.ts';
import { memberRights } from './member-rights.ts';
import { memoizeClientLookups } from './oidc/client-lookup-memo.ts';
import { useTimeOrderedTokenIds } from './oidc/time-ordered-token-ids.ts';
import { useUnauthorizedClientErrors } from './oidc/unauthorized-client-errors.ts';
import { enforceRegisteredAuthMethod } from './oidc/registered-auth-method.ts';
import { revocationJson } from './oidc/koa-revocation-json.ts';
import { discoveryResponseTypes } from './oidc/koa-discovery-response-types.ts';
import { createMetrics } from './metrics/metrics.ts';
import { startSweeps } from './sweeps.ts';
import { createLogger } from './logger.ts';
import { createSmsSender } from './sms/sms-sender-choice.ts';
import type { Container } from './container-types.ts';

export type { Container } from './container-types.ts';
import { purposeConsentService } from './domain/consent/purpose-consent-wiring.ts';
import { auditMetrics } from './metrics/audit-metrics.ts';
import { startEventStream } from './event-stream.ts';
import { webhookTargets } from './domain/events/webhook-targets.ts';
import { HookRunner, hookTargets } from './hooks/hook-runner.ts';
import { useHookClaimsInIdTokens } from './oidc/hook-claims.ts';
import { startTracing } from './tracing/tracing.ts';


/** How long shutdown waits for queued email and SMS (each send has its own timeouts too). */
const DELIVERY_DRAIN_MS = 10_000;
/** Every instance re-reads the signing keys this often: a rotation elsewhere is published here within a minute. */
const KEY_REFRESH_INTERVAL_MS = 60 * 1000;


export async function createContainer(config: Readonly<Config>, options: { logger?: Logger; mailer?: Mailer } = {}): Promise<Container> {
  const logger = options.logger ?? createLogger(config);
  // Client secrets are sealed at rest under their own key (issue 14 item 12).
  const storage = await openStorage({ dataDir: config.dataDir, mongodbUri: config.mongodbUri, clientSecretKey: deriveKey(config.keyEncryptionKey, 'client-secrets') });
  const outbound = { partners: createOutboundClient(partnerTargets(config.env === 'production')), operator: createOutboundClient(operatorTargets(config.env === 'production')),
    hooks: createOutboundClient(hookTargets(config.env === 'production')) };
  const closeOutbound = () => Promise.all([outbound.partners.close(), outbound.operator.close(), outbound.hooks.close()]);
  const webhookClient = createOutboundClient(webhookTargets(config.env === 'production'));
  try {
    const kek = config.keyEncryptionKey;
    // Imported only when on: a server without tracing never loads the SDK.
    const tracing = config.tracing ? await startTracing({ endpoint: config.tracing.endpoint }) : undefined;
    // Every message goes out after the response: its cost must not tell a member from a stranger (issue 14 item 6).
    const metrics = createMetrics({
      deliveryQueuePending: () => deliveries.pending,
      outboxBacklog: () => ({ events: () => storage.events.backlog(), deliveries: () => storage.webhooks.pendingCount() }),
    });
    const deliveries = new DeliveryQueue(logger, { onOutcome: (kind, result) => metrics.deliveries.inc({ kind, result }) });
    const mailer = queuedMailer(brandedMailer(options.mailer
      ?? (config.smtpUrl ? createSmtpMailer(config.smtpUrl, config.smtpFrom) : createOutboxMailer(config.dataDir, config.smtpFrom, logger)), config.branding, config.defaultLocale), deliveries);
    const audit = new AuditLog({ repository: storage.audit, logger, cursorKey: deriveKey(kek, 'audit-cursors'), onEvent: auditMetrics(metrics) });
    const codes = new CodeService(storage.codes, deriveKey(kek, 'one-time-codes'), config.codeResendCooldownSeconds, undefined, {
      store: storage.rateLimits,
      codesPerDay: config.attackProtection.codes.perAccountPerDay,
      failuresPerDay: config.attackProtection.codes.failuresPerAccountPerDay,
      // Who spent the budget, from the request that did (the domain service knows no requests).
      events: { record: (event) => audit.record({ ip: currentRequest()?.ip ?? null, userAgent: currentRequest()?.userAgent ?? null, ...event }) },
    });
    const loyalty = new LoyaltyService(storage.loyalty);
    const profiles = new ProfileService(storage.profiles, config.profileFields);
    const coupons = new CouponService(storage.coupons, loyalty, storage.staff);
    const partnerLinks = new PartnerLinks(storage.partners, deriveKey(kek, 'pairwise-subjects'));
    const breached = config.attackProtection.pwnedPasswordsUrl ? createRangeBreachedPasswords(config.attackProtection.pwnedPasswordsUrl, logger, undefined, outbound.operator) : undefined;
    const backchannelLogout = new BackchannelLogout({ audit, logger, retryDelaysMs: config.backchannelLogoutRetrySeconds.map((seconds) => seconds * 1000) });
    // Trickle migration: its own outbound client, so the callout's timeout is the one LEGACY_VERIFY_TIMEOUT_MS sets.
    const legacyVerify = config.legacyVerify;
    const legacyOutbound = legacyVerify
      ? createOutboundClient({ ...operatorTargets(config.env === 'production'), name: 'legacy-verify', timeoutMs: legacyVerify.timeoutMs, maxResponseBytes: 16 * 1024 })
      : undefined;
    const trickle = legacyVerify && legacyOutbound
      ? { verifier: createLegacyVerifier({ url: legacyVerify.url, secret: legacyVerify.secret, outbound: legacyOutbound, logger }), profiles: storage.profiles }
      : undefined;
    const sessionBindings = new SessionBindings(storage.oidc);
    const memberSessions = new MemberSessions({ oidc: storage.oidc, bindings: sessionBindings, devices: storage.devices, sessionEnds: backchannelLogout });
    const accounts = new AccountService({ accounts: storage.accounts, members: loyalty, codes, mailer, logger, breached, sessions: memberSessions, legacyHashes: { firebaseScrypt: config.firebaseScrypt }, trickle, events: storage.events,
      observer: {
        signedUp: (channel) => metrics.signUps.inc({ channel }),
        kdf: (operation, seconds) => metrics.kdfDuration.observe({ operation }, seconds),
      },
    });
    const protection = await createAttackProtection({ config, storage, mailer, events: audit, logger });
    // Points-fraud signals (issue 21): the sign-in rules plus the points rules, for every redemption.
    const redemptionRisk = new RedemptionRisk({ risk: protection.risk, devices: storage.devices, ledger: storage.loyalty, links: storage.federatedIdentities, settings: config.pointsFraud });
    const hooks = new HookRunner({
      repository: storage.hooks, outbound: outbound.hooks, sealKey: deriveKey(kek, 'hook-secrets'), audit, metrics, logger, countryOf: (ip) => protection.risk.countryOf(ip),
    });
    const direct = createSmsSender(config, logger, outbound.operator);
    const sms = protection.guardSms(direct && queuedSmsSender(direct, deliveries));
    const host = new URL(config.issuer).host;

    await ensureBootstrapAdminClient(storage.clients, config.bootstrapAdmin);
    await ensureStaffOwner({ accounts: storage.accounts, staff: storage.staff, logger }, config.staffOwnerEmail);
    const signingKeys = new SigningKeys(storage.keys, deriveKey(kek, 'signing-keys'), config.keyRotation);
    const initialKeys = await signingKeys.init();
    const production = config.env === 'production';
    // Purpose consents and terms (issue 17 items 1 and 3): receipts are signed with the key that signs ID tokens.
    const purposeConsents = purposeConsentService(config, storage, signingKeys);

    const passkeys = new PasskeyService({
      passkeys: storage.passkeys,
      accounts: storage.accounts,
      codes: storage.codes,
      rpId: config.webauthn.rpId,
      rpName: 'Loyalty account',
      origins: config.webauthn.origins,
    });
    // Persistent sessions with hijack checks (issue 17 item 8): bound to the device cookie and place of their sign-in.
    const sessionGuard = new SessionGuard({
      bindings: sessionBindings,
      deviceCookie: protection.deviceCookie,
      devices: storage.devices,
      geo: await loadGeoLookup(),
      places: { centroid: countryCentroid, distanceKm },
      endSession: (accountId, sessionId) => memberSessions.endById(accountId, sessionId),
      audit,
      ttl: config.sessionTtl,
    });
    const providerConfig = providerConfiguration({
      production,
      issuer: config.issuer,
      adapter: createOidcAdapter(storage.oidc, storage.clients),
      jwks: initialKeys.keys,
      cookieKeys: [deriveKey(kek, 'cookies').toString('base64url')],
      pairwiseSalt: deriveKey(kek, 'pairwise-subjects'),
      dpopNonceSecret: deriveKey(kek, 'dpop-nonces'),
      accounts,
      loyalty,
      partnerLinks,
      consents: storage.consents,
      profiles,
      hasPasskey: (accountId) => passkeys.hasPasskey(accountId),
      erasureScheduled: async (accountId) => (await storage.privacy.findErasure(accountId)) !== undefined,
      purposeConsents,
      outbound: outbound.partners,
      rs256Resources: config.rs256Resources,
      sessionTtl: (ctx, session) => sessionGuard.ttlFor(ctx, session),
      logger,
      kioskIdleSeconds: config.kiosk.idleSeconds,
      hooks,
    });
    const provider = new Provider(config.issuer, providerConfig);
    provider.proxy = config.trustProxy;
    // From here on the store decides which keys are published and which sign (rotation, retirement).
    applyKeySnapshot(provider, initialKeys);
    signingKeys.onChange((snapshot) => applyKeySnapshot(provider, snapshot));
    signingKeys.startRefresh(KEY_REFRESH_INTERVAL_MS, (error) => logger.warn({ err: error }, 'signing key reload failed'));
    useTimeOrderedTokenIds(provider);
    // A post-login hook's namespaced claims in the ID tokens of that client (the access tokens get them in extraTokenClaims).
    useHookClaimsInIdTokens(provider, hooks);
    memoizeClientLookups(provider, storage.clients);
    // RFC 6749 behaviour where oidc-provider differs: error codes, the registered auth method, revocation's body.
    useUnauthorizedClientErrors();
    enforceRegisteredAuthMethod(provider);
    provider.use(revocationJson);
    provider.use(discoveryResponseTypes);
    // Only the last X-Forwarded-For entry is our proxy's; the ones before it are the client's to forge.
    provider.maxIpsCount = 1;
    backchannelLogout.attach(provider);
    sessionGuard.attach(provider);
    provider.on('server_error', (ctx, error) => logger.error({ err: error, requestId: ctx.state.requestId }, 'oidc-provider server error'));
    // end_session's deliveries fail here once (it does not retry): audited, then retried in the background.
    // Ours (BackchannelLogout, ctx undefined) retry and audit by themselves and emit this only when they give up.
    provider.on('backchannel.error', (ctx, error, client, accountId, sid) => {
      if (ctx && client) backchannelLogout.retryFailed(client.clientId, accountId, sid, error);
      else logger.warn({ err: error, clientId: client?.clientId }, 'back-channel logout delivery failed');
    });

    const partnerLogos = createPartnerLogos(outbound.partners, logger);
    const { exports, erasure, appSharing } = memberRights({ storage, provider, mailer, profiles, audit, logout: backchannelLogout, issuer: config.issuer, logger });

    // Issue 21: merging duplicate members (admin API, and the member's own page through interactions).
    const merges = new MemberMerge({
      store: storage.merges, accounts: storage.accounts, loyalty: storage.loyalty, factors: storage.factors, passkeys: storage.passkeys,
      federatedIdentities: storage.federatedIdentities, devices: storage.devices, profiles: storage.profiles, purposeConsents: storage.purposeConsents,
      links: storage.privacy, sessions: memberSessions, audit, pairwiseSalt: deriveKey(kek, 'pairwise-subjects'),
    });
    const interactions: InteractionDeps = {
      provider,
      accounts,
      emailFactor: emailCodeFactor(codes, mailer),
      smsFactor: smsCodeFactor(codes, sms, host),
      phones: new PhoneService({
        accounts: storage.accounts, codes, sms, mailer, host, defaultCountry: config.sms.defaultCountry, countries: config.sms.countries,
        allowedCountries: config.attackProtection.sms.allowedCountries, countryOf: (ip) => protection.risk.countryOf(ip), logger,
        // Issue 21: phone sign-ups counted and in the funnel like email ones.
        members: { ensureMember: (id, channel, method) => loyalty.ensureMember(id, channel, method), deleteMemberWithoutEntries: (id) => storage.loyalty.deleteMemberWithoutEntries(id) },
        events: storage.events, observer: { signedUp: (channel) => metrics.signUps.inc({ channel }) },
      }),
      totp: new TotpFactor({
        factors: storage.factors,
        codes: storage.codes,
        sealKey: deriveKey(kek, 'factor-secrets'),
        hashKey: deriveKey(kek, 'recovery-codes'),
        issuer: host,
      }),
      passkeys,
      profiles,
      loyalty,
      heldRedemptions: storage.heldRedemptions,
      couponDevices: new CouponDeviceGuard(storage.rateLimits, config.pointsFraud),
      coupons,
      cardClaims: new CardClaimService({ importedMembers: storage.importedMembers, accounts: storage.accounts, profiles, loyalty, codes, mailer, sms, host, logger }),
      // Issue 21: proving the member's other account on the merge page (its password, or a code to its contact).
      mergeProofs: new OwnershipProofs({
        accounts: storage.accounts, loyalty: storage.loyalty, codes, mailer, sms, host, defaultCountry: config.sms.defaultCountry,
        legacyHashes: { firebaseScrypt: config.firebaseScrypt }, store: storage.oidc, passkeys, logger,
      }),
      passkeyOffer: new PasskeyOffer(passkeys, production),
      mailer,
      audit,
      // Single use through the factor-use records (scope 'bot-challenge'), which the sweeper below expires.
      botChallenge: new BotChallenge({ key: deriveKey(kek, 'bot-challenge'), ...config.botChallenge, uses: storage.factors }),
      csrf: new Csrf(deriveKey(kek, 'csrf'), new URL(config.issuer).origin),
      flow: new FlowCookie(deriveKey(kek, 'flow-cookie'), production),
      deviceCookie: protection.deviceCookie,
      signIns: protection.signIns,
      signUps: protection.signUps,
      rateLimits: storage.rateLimits,
      attackProtection: config.attackProtection,
      partnerLogos,
      kiosk: config.kiosk,
      hooks,
      consents: storage.consents,
      emailChange: new EmailChangeService({
        accounts: storage.accounts, codes, mailer, uses: storage.factors, key: deriveKey(kek, 'email-change-undo'), issuer: config.issuer,
        endAllSessions: (accountId) => memberSessions.endAll(accountId), logger,
      }),
      memberSessions,
      exports,
      erasure,
      appSharing,
      purposeConsents,
      merges,
      federation: {
        connections: storage.connections,
        // The partner policy: the upstream's endpoints are URLs an admin gave us (loopback only outside production).
        upstream: new UpstreamOidc(outbound.partners),
        signIn: new FederatedSignIn({ accounts: storage.accounts, accountService: accounts, loyalty, profiles, links: storage.federatedIdentities }),
        oidcStore: storage.oidc,
        issuer: config.issuer,
        saml: new UpstreamSaml(config.issuer),
        samlAssertionIds: storage.samlAssertionIds,
      },
    };

    const sweeper = startSweeps({ config, storage, audit, coupons, exports, erasure, merges, logger });

    const { webhooks, dispatcher, analytics } = startEventStream({ config, storage, kek, webhookClient, logger, metrics });
    const importJobs = new ImportJobs({
      store: storage.memberImports,
      importer: new MemberImporter({ accounts: storage.accounts, loyalty: storage.loyalty, profiles: storage.profiles, memberImports: storage.memberImports }),
      directory: join(config.dataDir, 'imports'),
      maxUploadBytes: config.importMaxUploadBytes,
      logger,
    });
    await importJobs.resumeUnfinished();

    // Our SAML IdP role for partners' SPs (issue 16 item 5): member claims as the OIDC side computes them.
    const samlIdp = buildSamlIdpDeps({ storage, kek, issuer: config.issuer, findAccount: providerConfig.findAccount! });
    return {
      samlIdp,
      importJobs,
      config,
      logger,
      storage,
      mailer,
      deliveries,
      accounts,
      loyalty,
      partnerLinks,
      coupons,
      audit,
      signingKeys,
      provider,
      interactions,
      risk: protection.risk,
      redemptionRisk,
      backchannelLogout,
      sessionBindings,
      sessionGuard,
      outbound,
      partnerLogos,
      hooks,
      tracing,
      metrics,
      webhooks,
      dispatcher,
      analytics,
      exports,
      erasure,
      purposeConsents,
      merges,
      async close() {
        sweeper.stop();
        // The delivery in flight finishes (bounded by its 5 s timeout); the rest waits in the store for the next start.
        await dispatcher?.stop();
        await analytics?.stop();
        // Archives being built finish (their email is queued below) before the store closes.
        await exports.settled();
        // Logout tokens already on their way get to finish (each bounded by the outbound timeout); retries
        // still waiting for their turn are dropped, and audited as such.
        await backchannelLogout.stop();
        // post-redemption calls already made get their answer (each bounded by its hook's timeout).
        await hooks.drain();
        // An import job finishes its batch and stays `running` in the store: the next boot resumes it.
        await importJobs.stop();
        // Codes and notices already promised to members go out before the store closes (their failure hooks use
        // it); a provider that hangs does not hold the shutdown past the wait, and what it leaves is logged.
        if (!(await deliveries.drain(DELIVERY_DRAIN_MS))) logger.error({ pending: deliveries.pending }, 'shutdown: queued email/SMS not delivered');
        await mailer.close();
        await sms?.close();
        await Promise.all([closeOutbound(), webhookClient.close(), legacyOutbound?.close()]);
        await storage.close();
        // Last, so the spans of the requests that just finished are sent.
        await tracing?.shutdown();
      },
    };
  } catch (error) {
    await Promise.all([closeOutbound(), webhookClient.close()]);
    await storage.close();
    throw error;
  }
}
