// "Download my data" (GDPR art. 15/20): one JSON archive of everything held about a member, assembled from the
// export sections, built in the background, kept 7 days, and announced by email with a link that only the
// member, signed in, can open. The admin API builds the same archive on the spot for a support request.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Account } from '../accounts/account.ts';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { ExportSection, ExportValue } from './export-sections.ts';
import { exportReady } from './privacy-emails.ts';
import type { PrivacyStore, StoredExport } from './privacy.repository.ts';

export const EXPORT_FORMAT = 'loyalty-idp.member-export';
export const EXPORT_VERSION = 1;
/** How long a built archive stays downloadable. */
export const EXPORT_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** A build not finished after this was cut short (a restart): the sweeper builds it again. */
const STALLED_BUILD_MS = 5 * 60 * 1000;

export interface MemberArchive {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  generated_at: string;
  issuer: string;
  sub: string;
  sections: Record<string, ExportValue>;
}

export interface MemberExportDeps {
  store: PrivacyStore;
  accounts: AccountsRepository;
  sections: readonly ExportSection[];
  mailer: Mailer;
  /** The member's saved language, else the default: the email goes out after the request that asked for it. */
  languageOf(accountId: string): Promise<string>;
  issuer: string;
  logger: Logger;
  now?: () => Date;
}

export class MemberExports {
  private readonly deps: MemberExportDeps;
  private readonly now: () => Date;
  /** Builds in flight, so shutdown and tests can wait for them. */
  private readonly building = new Set<Promise<void>>();

  constructor(deps: MemberExportDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  /** The archive of everything held about the account, built now. */
  async archive(account: Account): Promise<MemberArchive> {
    const now = this.now();
    const sections: Record<string, ExportValue> = {};
    for (const section of this.deps.sections) sections[section.name] = await section.collect(account, now);
    return { format: EXPORT_FORMAT, version: EXPORT_VERSION, generated_at: now.toISOString(), issuer: this.deps.issuer, sub: account.id, sections };
  }

  /**
   * Records the request and builds the archive in the background (every export takes this path, small or
   * large); the member gets an email once it is ready. Returns the export's id.
   */
  async request(accountId: string): Promise<string> {
    // 128 random bits: the id is a path, never a credential (the download also needs the member's session).
    const id = randomBytes(16).toString('base64url');
    const createdAt = this.now();
    await this.deps.store.createExport({ id, accountId, createdAt, expiresAt: new Date(createdAt.getTime() + EXPORT_TTL_MS) });
    this.track(this.build(id));
    return id;
  }

  /** The member's own export; undefined for a missing, expired, or another member's one (all alike: 404). */
  async find(id: string, accountId: string): Promise<StoredExport | undefined> {
    const stored = await this.deps.store.findExport(id, this.now());
    return stored?.accountId === accountId ? stored : undefined;
  }

  /** The member's newest export still on offer (the account page links it once built). */
  latest(accountId: string): Promise<StoredExport | undefined> {
    return this.deps.store.findLatestExport(accountId, this.now());
  }

  /** Forgets expired archives and restarts builds a restart cut short; returns how many were forgotten. */
  async sweep(): Promise<number> {
    const now = this.now();
    const forgotten = await this.deps.store.sweepExpiredExports(now);
    for (const id of await this.deps.store.listUnbuiltExports(new Date(now.getTime() - STALLED_BUILD_MS), 20)) this.track(this.build(id));
    return forgotten;
  }

  /** Resolves once every build started so far has finished. */
  async settled(): Promise<void> {
    while (this.building.size > 0) await Promise.all([...this.building]);
  }

  private track(build: Promise<void>): void {
    this.building.add(build);
    void build.finally(() => this.building.delete(build));
  }

  /** Never throws: a failed build is logged and retried by the sweeper. */
  private async build(id: string): Promise<void> {
    // Off the requesting member's response: the member sees "being prepared" at once.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const stored = await this.deps.store.findExport(id, this.now());
      if (!stored || stored.archive !== null) return;
      const account = await this.deps.accounts.findById(stored.accountId);
      if (!account) return;
      const archive = await this.archive(account);
      if (!(await this.deps.store.completeExport(id, JSON.stringify(archive), this.now()))) return;
      const link = new URL(`/account/export/${encodeURIComponent(id)}`, this.deps.issuer).href;
      // A phone-first member has no mailbox: the archive waits on the account page.
      if (account.email !== null) await this.deps.mailer.send(exportReady(account.email, await this.deps.languageOf(account.id), link, stored.expiresAt));
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'data export build failed');
    }
  }
}
