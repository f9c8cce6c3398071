// Composition of the member's data rights: the export archive, erasure, and "Apps and partners" (each client's last
// use recorded at the token endpoint, and Stop sharing). Built after the provider, which the last use hooks into.
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { ACCOUNT_CONSOLE_CLIENT_ID } from '../config/account-console-client.ts';
import type { AuditLog } from './domain/audit/audit-log.ts';
import { AppSharing, appClientOf } from './domain/consent/app-sharing.ts';
import type { Mailer } from './domain/mail/mailer.ts';
import { standardSections } from './domain/privacy/export-sections.ts';
import { announceMemberDeleted } from './domain/privacy/member-deleted.ts';
import { MemberErasure } from './domain/privacy/member-erasure.ts';
import { MemberExports } from './domain/privacy/member-export.ts';
import type { ProfileService } from './domain/profile/profile-service.ts';
import type { Storage } from './domain/storage.ts';
import { getDefaultLanguage } from './i18n/locales/index.ts';
import { recordClientUse } from './oidc/koa-client-use.ts';
import type { BackchannelLogout } from './sessions/backchannel-logout.ts';

export interface MemberRightsDeps {
  storage: Storage;
  provider: Provider;
  mailer: Mailer;
  profiles: ProfileService;
  audit: AuditLog;
  logout: BackchannelLogout;
  issuer: string;
  logger: Logger;
}

export function memberRights({ storage, provider, mailer, profiles, audit, logout, issuer, logger }: MemberRightsDeps) {
  // The member's language for emails sent after the request that caused them (export ready, deletion scheduled).
  const languageOf = async (accountId: string) => (await profiles.locale(accountId)) ?? getDefaultLanguage();
  const exports = new MemberExports({
    store: storage.privacy,
    accounts: storage.accounts,
    sections: standardSections({ ...storage, privacy: storage.privacy }),
    mailer,
    languageOf,
    issuer,
    logger,
  });
  const erasure = new MemberErasure({
    store: storage.privacy,
    accounts: storage.accounts,
    oidc: storage.oidc,
    logout,
    audit,
    announce: announceMemberDeleted(audit),
    events: storage.events,
    mailer,
    languageOf,
    issuer,
    logger,
  });
  // "Apps and partners" (issue 17 item 2): each client's last use recorded at the token endpoint; "Stop sharing".
  const appSharing = new AppSharing({
    repository: storage.appSharing, oidc: storage.oidc, logout, hiddenClientIds: [ACCOUNT_CONSOLE_CLIENT_ID],
    findClient: async (clientId) => appClientOf(await storage.clients.find(clientId)),
    partnerName: async (partnerId) => (await storage.partners.find(partnerId))?.name,
  });
  provider.use(recordClientUse(appSharing, logger));
  return { exports, erasure, appSharing };
}
