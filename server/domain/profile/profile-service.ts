// Progressive profiling: which declared fields a member should be asked for now, saving answers and
// "Not now", and the profile claims each scope releases.
import type { ProfileFieldSpec } from '../../../config/profile-fields.ts';
import type { Profile, ProfilesRepository } from './profiles.repository.ts';
import { checkFieldValue } from './field-values.ts';

/**
 * The member's language, kept beside the declared fields (one row per field) but never asked by the profile
 * prompt: it is set from the page language. Released as the standard `locale` claim under `profile`.
 */
export const LOCALE_FIELD = 'locale';

/**
 * When the authenticator-app offer was last shown (its skippedAt), kept beside the declared fields like
 * LOCALE_FIELD: never asked by the profile prompt, never released as a claim.
 */
export const APP_OFFER_FIELD = 'app_offer';
/** The authenticator-app offer after a step-up by code comes back at most this often. */
export const APP_OFFER_DAYS = 30;

/** A skipped optional field is asked again after this long. */
export const SKIP_DAYS = 30;
/** At most this many fields on one page. */
export const FIELDS_PER_PAGE = 3;

export interface DueRequest {
  /** Claim names the client requires (client metadata required_claims). */
  clientRequires: readonly string[];
  /** The authorization asks for loyalty:redeem (fields wanted before the first redemption). */
  redeeming: boolean;
}

export interface DueField {
  spec: ProfileFieldSpec;
  /** May be skipped ("Not now"): optional and not required by this client. */
  skippable: boolean;
}

export class ProfileService {
  private readonly profiles: ProfilesRepository;
  private readonly fields: readonly ProfileFieldSpec[];
  private readonly now: () => Date;

  constructor(profiles: ProfilesRepository, fields: readonly ProfileFieldSpec[], now: () => Date = () => new Date()) {
    this.profiles = profiles;
    this.fields = fields;
    this.now = now;
  }

  fieldSpec(name: string): ProfileFieldSpec | undefined {
    return this.fields.find((field) => field.name === name);
  }

  recordSignIn(accountId: string): Promise<number> {
    return this.profiles.recordSignIn(accountId);
  }

  /** Whether to offer an authenticator app now: never shown, or last shown over APP_OFFER_DAYS ago. */
  async appOfferDue(accountId: string): Promise<boolean> {
    const shown = (await this.profiles.find(accountId)).fields[APP_OFFER_FIELD]?.skippedAt;
    return !shown || this.now().getTime() - shown.getTime() >= APP_OFFER_DAYS * 24 * 3600 * 1000;
  }

  /** The offer is on screen now; whatever the member answers, it waits APP_OFFER_DAYS before coming back. */
  async appOfferShown(accountId: string): Promise<void> {
    await this.profiles.update(accountId, { skipped: [APP_OFFER_FIELD] }, this.now());
  }

  /** The fields to ask now, client-required first; empty when the profile is complete enough. */
  async due(accountId: string, request: DueRequest): Promise<DueField[]> {
    const profile = await this.profiles.find(accountId);
    const skipExpiry = this.now().getTime() - SKIP_DAYS * 24 * 3600 * 1000;
    const due: DueField[] = [];
    for (const spec of this.fields) {
      const stored = profile.fields[spec.name];
      if (stored?.value) continue;
      const requiredByClient = request.clientRequires.includes(spec.name);
      const skippedRecently = stored?.skippedAt ? stored.skippedAt.getTime() > skipExpiry : false;
      const wanted = requiredByClient
        || (spec.ask.atSignUp && !stored)
        || (spec.ask.afterSignIns !== undefined && profile.signIns >= spec.ask.afterSignIns)
        || (spec.ask.beforeRedemption && request.redeeming);
      if (!wanted || (skippedRecently && !requiredByClient && !spec.required)) continue;
      due.push({ spec, skippable: !spec.required && !requiredByClient });
    }
    return due.sort((a, b) => Number(a.skippable) - Number(b.skippable));
  }

  /**
   * Saves the answers to the fields on the page; the skippable ones left empty count as "Not now". Returns
   * field errors (message ids) and saves nothing when any answer does not fit or a required one is empty.
   */
  async answer(accountId: string, page: DueField[], input: Record<string, string | undefined>): Promise<{ ok: true } | { ok: false; errors: Record<string, string> }> {
    const values: Record<string, string> = {};
    const skipped: string[] = [];
    const errors: Record<string, string> = {};
    for (const { spec, skippable } of page) {
      const raw = input[spec.name] ?? '';
      if (!raw.trim() && skippable) {
        skipped.push(spec.name);
        continue;
      }
      const check = checkFieldValue(spec, raw, this.now());
      if (check.ok) values[spec.name] = check.value;
      else errors[spec.name] = check.error;
    }
    if (Object.keys(errors).length) return { ok: false, errors };
    await this.profiles.update(accountId, { values, skipped }, this.now());
    return { ok: true };
  }

  /**
   * Fills declared fields that have no value with what the program knew already (an old card's name): a value
   * the member gave is never replaced, and a value that does not fit the field is left out. Returns the names filled.
   */
  async fillEmpty(accountId: string, values: Record<string, string>): Promise<string[]> {
    const profile = await this.profiles.find(accountId);
    const filled: Record<string, string> = {};
    for (const [name, raw] of Object.entries(values)) {
      const spec = this.fieldSpec(name);
      if (!spec || profile.fields[name]?.value) continue;
      const check = checkFieldValue(spec, raw, this.now());
      if (check.ok) filled[name] = check.value;
    }
    if (Object.keys(filled).length) await this.profiles.update(accountId, { values: filled }, this.now());
    return Object.keys(filled);
  }

  /** "Not now" for every skippable field on the page. */
  async skip(accountId: string, page: DueField[]): Promise<void> {
    const skipped = page.filter((field) => field.skippable).map((field) => field.spec.name);
    if (skipped.length) await this.profiles.update(accountId, { skipped }, this.now());
  }

  /** The claims of the answered fields, grouped as OIDC has them (address is an object), and `locale`. */
  async claims(accountId: string): Promise<Record<string, unknown>> {
    const profile = await this.profiles.find(accountId);
    const locale = profile.fields[LOCALE_FIELD]?.value;
    return { ...claimsOf(this.fields, profile), ...(locale ? { locale } : {}) };
  }

  /** The member's saved language (a BCP 47 tag of a supported catalogue), or null. */
  async locale(accountId: string): Promise<string | null> {
    return (await this.profiles.find(accountId)).fields[LOCALE_FIELD]?.value ?? null;
  }

  /** Saves the member's language: picked while signed in, or the page language at sign-up. */
  async setLocale(accountId: string, tag: string): Promise<void> {
    await this.profiles.update(accountId, { values: { [LOCALE_FIELD]: tag } }, this.now());
  }
}

export function claimsOf(fields: readonly ProfileFieldSpec[], profile: Profile): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const spec of fields) {
    const value = profile.fields[spec.name]?.value;
    if (!value) continue;
    if (spec.name.startsWith('address.')) {
      const address = (claims.address ?? {}) as Record<string, string>;
      address[spec.name.slice('address.'.length)] = value;
      claims.address = address;
    } else {
      claims[spec.name] = value;
    }
  }
  return claims;
}
