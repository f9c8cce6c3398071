// Purpose consents and terms acceptance (issue 17 items 1 and 3): checks each answer against the catalogue,
// records it with its channel, client and method, signs a Kantara-style receipt of the change, and answers what
// the member's current choices are (the latest record per purpose) for pages, claims and the partner API.
import { randomUUID } from 'node:crypto';
import type { ConsentPurpose, PurposeCatalogue } from '../../../config/consent-purposes.ts';
import { TERMS_PURPOSE } from '../../../config/consent-purposes.ts';
import { DomainError } from '../errors.ts';
import { purposeConsentChangedEvent } from './purpose-consent-event.ts';
import type {
  ConsentChannel, ConsentMethod, ConsentReceipt, PurposeConsentRecord, PurposeConsentsRepository,
} from './purpose-consents.repository.ts';
import { receiptPayload, type ReceiptSigner } from './consent-receipt.ts';

export interface Decision {
  purpose: string;
  version: number;
  granted: boolean;
}

export interface ConsentContext {
  channel: ConsentChannel;
  clientId: string | null;
  method: ConsentMethod;
}

/** A member's current answer to one purpose. */
export interface CurrentAnswer {
  granted: boolean;
  version: number;
  at: Date;
}

export interface PurposeConsentServiceDeps {
  store: PurposeConsentsRepository;
  catalogue: PurposeCatalogue;
  terms: { version: number | undefined; url: string | undefined };
  signer: ReceiptSigner;
  /** The program as the receipts' piiController, and where its policy is. */
  controller: { name: string; url: string };
  /** The old program's consents kept on imported members (MemberImportStore.findMemberData). */
  imported?: { findMemberData(accountId: string): Promise<{ consents: Record<string, string> } | undefined> };
  now?: () => Date;
}

export class PurposeConsentService {
  private readonly deps: PurposeConsentServiceDeps;
  private readonly now: () => Date;

  constructor(deps: PurposeConsentServiceDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  get purposes(): readonly ConsentPurpose[] {
    return this.deps.catalogue.purposes;
  }

  get terms(): { version: number | undefined; url: string | undefined } {
    return this.deps.terms;
  }

  purpose(id: string): ConsentPurpose | undefined {
    return this.deps.catalogue.purposes.find((p) => p.id === id);
  }

  /** What changed in the current terms version, per language (undefined when the file says nothing). */
  termsChanges(): Readonly<Record<string, string>> | undefined {
    const version = this.deps.terms.version;
    return version === undefined ? undefined : this.deps.catalogue.termsChanges[String(version)];
  }

  /** The latest answer per purpose (the terms included, under `terms`). */
  async current(accountId: string): Promise<Map<string, CurrentAnswer>> {
    const answers = new Map<string, CurrentAnswer>();
    for (const record of await this.adoptImported(accountId, await this.deps.store.listRecords(accountId))) {
      answers.set(record.purpose, { granted: record.granted, version: record.version, at: record.at });
    }
    return answers;
  }

  /** The `consents` claim (and the partner API's view): each catalogue purpose the member answered. */
  async claim(accountId: string): Promise<Record<string, { granted: boolean; version: number; time: string }>> {
    const answers = await this.current(accountId);
    const claim: Record<string, { granted: boolean; version: number; time: string }> = {};
    for (const purpose of this.deps.catalogue.purposes) {
      const answer = answers.get(purpose.id);
      if (answer) claim[purpose.id] = { granted: answer.granted, version: answer.version, time: answer.at.toISOString() };
    }
    return claim;
  }

  /** Purposes among `wanted` the member has not answered in their current version (unknown ids are ignored). */
  async unanswered(accountId: string, wanted: readonly string[]): Promise<ConsentPurpose[]> {
    const answers = await this.current(accountId);
    return wanted
      .map((id) => this.purpose(id))
      .filter((p): p is ConsentPurpose => p !== undefined && answers.get(p.id)?.version !== p.version);
  }

  /** Whether the member must accept the current terms (TERMS_VERSION set and not accepted in that version). */
  async termsDue(accountId: string): Promise<boolean> {
    const version = this.deps.terms.version;
    if (version === undefined) return false;
    const answer = (await this.current(accountId)).get(TERMS_PURPOSE);
    return !(answer?.granted && answer.version === version);
  }

  /**
   * Records one change (one or more answers) with its signed receipt and consent.changed events. Refused with a
   * clear message, nothing stored, when a purpose is unknown, a version is not the current one, or a purpose repeats.
   */
  async record(accountId: string, decisions: readonly Decision[], context: ConsentContext, when?: Date): Promise<ConsentReceipt> {
    if (decisions.length === 0) throw new DomainError('invalid_input', 'no consent to record', { expose: true });
    const seen = new Set<string>();
    for (const decision of decisions) {
      if (seen.has(decision.purpose)) throw new DomainError('invalid_input', `purpose ${decision.purpose} is given twice`, { expose: true });
      seen.add(decision.purpose);
      const current = decision.purpose === TERMS_PURPOSE ? this.deps.terms.version : this.purpose(decision.purpose)?.version;
      if (current === undefined) throw new DomainError('invalid_input', `unknown purpose: ${decision.purpose}`, { expose: true, details: { purpose: decision.purpose } });
      if (decision.version !== current) {
        throw new DomainError('invalid_input', `purpose ${decision.purpose} is at version ${current}, not ${decision.version}`, { expose: true, details: { purpose: decision.purpose, version: current } });
      }
      if (decision.purpose === TERMS_PURPOSE && !decision.granted) throw new DomainError('invalid_input', 'the terms can only be accepted', { expose: true });
    }
    const at = when ?? this.now();
    const receiptId = randomUUID();
    const records: PurposeConsentRecord[] = decisions.map((decision) => ({
      id: randomUUID(), accountId, purpose: decision.purpose, version: decision.version, granted: decision.granted, at, ...context, receiptId,
    }));
    const payload = receiptPayload({
      receiptId, accountId, at, context, controller: this.deps.controller, policyUrl: this.deps.terms.url ?? this.deps.controller.url,
      decisions: decisions.map((decision) => ({ ...decision, title: decision.purpose === TERMS_PURPOSE ? 'Terms and privacy policy' : this.purpose(decision.purpose)?.title.en ?? decision.purpose })),
    });
    const receipt: ConsentReceipt = {
      id: receiptId, accountId, issuedAt: at, jws: await this.deps.signer.sign(payload), method: context.method,
      decisions: decisions.map(({ purpose, version, granted }) => ({ purpose, version, granted })),
    };
    const events = records.map((record) => purposeConsentChangedEvent(record));
    await this.deps.store.record({ records, receipt, events });
    return receipt;
  }

  /**
   * A member imported from the old program with consents not adopted yet: those become recorded grants (channel
   * and method `import`, at the date the old program gave, so any answer given here since stays the current one)
   * the first time their consents are read (sign-up, a claim, the account page, a token), with a receipt like any
   * change. Purposes we do not declare are left out. Returns the records as they now are.
   */
  private async adoptImported(accountId: string, records: PurposeConsentRecord[]): Promise<PurposeConsentRecord[]> {
    if (!this.deps.imported || records.some((record) => record.method === 'import')) return records;
    const data = await this.deps.imported.findMemberData(accountId);
    const given = Object.entries(data?.consents ?? {})
      .map(([id, date]) => ({ purpose: this.purpose(id), at: new Date(date) }))
      .filter((entry): entry is { purpose: ConsentPurpose; at: Date } => entry.purpose !== undefined && !Number.isNaN(entry.at.getTime()));
    if (given.length === 0) return records;
    const latest = new Date(Math.max(...given.map((entry) => entry.at.getTime())));
    await this.record(accountId, given.map((entry) => ({ purpose: entry.purpose.id, version: entry.purpose.version, granted: true })),
      { channel: 'import', clientId: null, method: 'import' }, latest);
    return this.deps.store.listRecords(accountId);
  }

  listReceipts(accountId: string): Promise<ConsentReceipt[]> {
    return this.deps.store.listReceipts(accountId);
  }

  findReceipt(accountId: string, id: string): Promise<ConsentReceipt | undefined> {
    return this.deps.store.findReceipt(accountId, id);
  }

  listRecords(accountId: string): Promise<PurposeConsentRecord[]> {
    return this.deps.store.listRecords(accountId);
  }
}
