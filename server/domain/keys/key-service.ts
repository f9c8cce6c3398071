// Signing keys: generated per store, private parts encrypted at rest, identical on every instance, rotated on request.
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { decrypt, encrypt } from '../../security/crypto.ts';
import type { KeysRepository, StoredKey } from './keys.repository.ts';

export interface PublicJwk { kty: string; kid: string; alg: string; use: string; [member: string]: unknown }

type Alg = StoredKey['alg'];
export type PrivateJwk = Record<string, unknown> & { kid: string; alg: Alg; use: 'sig' };

const ALGORITHMS: Alg[] = ['RS256', 'ES256', 'EdDSA'];

function generate(alg: Alg): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (alg) {
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
  }
}

/**
 * The kid of the first key per algorithm is fixed, so instances racing through their first boot on an
 * empty store all try to insert the same kid, exactly one wins, and all then load that winner's key.
 * (Random kids let each racer keep its own key and publish a different JWKS.) Rotated keys get random kids.
 */
export function initialKid(alg: Alg): string {
  return `${alg.toLowerCase()}-initial`;
}

function newKey(alg: Alg, kek: Buffer, now: Date, activeFrom: Date, kid = `${alg.toLowerCase()}-${randomUUID()}`): StoredKey {
  const { publicKey, privateKey } = generate(alg);
  const meta = { kid, alg, use: 'sig' as const };
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), ...meta };
  return {
    kid,
    alg,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), ...meta },
    // The kid is the associated data: a ciphertext moved onto another key's row fails to decrypt.
    encryptedPrivateJwk: encrypt(kek, JSON.stringify(privateJwk), kid),
    createdAt: now,
    activeFrom,
    retireAt: null,
  };
}

/** Only the public members of a JWK (RSA n/e, EC/OKP crv/x/y) are ever published. */
const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y'];

export interface RotationSchedule {
  /** Seconds a new key is published before it signs (relying parties' JWKS caches, other instances' reloads). */
  signDelaySeconds: number;
  /** Seconds a replaced key stays published after its successor starts signing (the longest token lifetime). */
  retireAfterSeconds: number;
}

export interface Rotation {
  kids: string[];
  activeFrom: Date;
  /** When the keys they replace leave the JWKS. */
  retireAt: Date;
}

/** What the provider needs: the private keys, signing keys first, and which kids sign. */
export interface KeySnapshot {
  /** Published keys (private parts), the signing key of each algorithm first. */
  keys: PrivateJwk[];
  /** The kid that signs, per algorithm. */
  signing: Record<Alg, string>;
  publicKeys: PublicJwk[];
}

/**
 * The key set as the store says it is at a given time: published = made and not yet retired; the signer of
 * each algorithm = the newest published key whose activeFrom has passed. Every instance computes the same
 * answer from the same rows, so they agree without talking to each other (up to their reload interval,
 * which the sign delay covers). Pure: the clock is a parameter.
 */
export function snapshotAt(stored: readonly StoredKey[], decrypted: ReadonlyMap<string, PrivateJwk>, now: Date): KeySnapshot {
  const published = stored.filter((key) => key.retireAt === null || key.retireAt.getTime() > now.getTime());
  const signing = {} as Record<Alg, string>;
  for (const alg of ALGORITHMS) {
    const candidates = published
      .filter((key) => key.alg === alg && key.activeFrom.getTime() <= now.getTime())
      .sort((a, b) => b.activeFrom.getTime() - a.activeFrom.getTime() || b.createdAt.getTime() - a.createdAt.getTime());
    const signer = candidates[0];
    if (signer) signing[alg] = signer.kid;
  }
  const signers = new Set(Object.values(signing));
  const ordered = [...published.filter((key) => signers.has(key.kid)), ...published.filter((key) => !signers.has(key.kid))];
  return {
    keys: ordered.map((key) => decrypted.get(key.kid)).filter((key): key is PrivateJwk => key !== undefined),
    signing,
    publicKeys: ordered.map((key) => Object.fromEntries(Object.entries(key.publicJwk).filter(([name]) => PUBLIC_MEMBERS.includes(name))) as PublicJwk),
  };
}

/** The next time the snapshot changes by itself (a key starts signing or retires), if any. */
export function nextTransition(stored: readonly StoredKey[], now: Date): Date | undefined {
  const times = stored
    .flatMap((key) => [key.activeFrom.getTime(), key.retireAt?.getTime() ?? Number.POSITIVE_INFINITY])
    .filter((time) => time > now.getTime() && Number.isFinite(time));
  return times.length ? new Date(Math.min(...times)) : undefined;
}

/**
 * The signing keys of this instance, read from the store. `reload()` re-reads them (periodically, and at
 * once after a rotation here); listeners (the provider's keystore, the API token verifiers) get each
 * new snapshot.
 */
export class SigningKeys {
  private readonly repo: KeysRepository;
  private readonly kek: Buffer;
  private readonly schedule: RotationSchedule;
  private readonly decrypted = new Map<string, PrivateJwk>();
  private stored: StoredKey[] = [];
  private current: KeySnapshot = { keys: [], signing: {} as Record<Alg, string>, publicKeys: [] };
  private readonly listeners: Array<(snapshot: KeySnapshot) => void> = [];
  /** Bumped on every change of the published or signing set: verifiers rebuild their key set on a new version. */
  version = 0;
  private interval: NodeJS.Timeout | undefined;
  private transition: NodeJS.Timeout | undefined;
  private onError: (error: unknown) => void = () => {};

  constructor(repo: KeysRepository, kek: Buffer, schedule: RotationSchedule) {
    this.repo = repo;
    this.kek = kek;
    this.schedule = schedule;
  }

  /** Creates the first key per algorithm on an empty store, then loads. */
  async init(now = new Date()): Promise<KeySnapshot> {
    const stored = await this.repo.list();
    const missing = ALGORITHMS.filter((alg) => !stored.some((key) => key.alg === alg));
    for (const alg of missing) await this.repo.insertIfAbsent(newKey(alg, this.kek, now, now, initialKid(alg)));
    return this.reload(now);
  }

  snapshot(): KeySnapshot {
    return this.current;
  }

  /** When the current snapshot changes by itself (for a timer), if it does. */
  nextTransition(now = new Date()): Date | undefined {
    return nextTransition(this.stored, now);
  }

  onChange(listener: (snapshot: KeySnapshot) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Re-reads the store every `intervalMs` (rotations made by other instances), and at the moment a key here
   * starts signing or retires, so the switch is on time rather than up to one interval late.
   */
  startRefresh(intervalMs: number, onError: (error: unknown) => void): void {
    this.onError = onError;
    this.interval = setInterval(() => void this.refresh(), intervalMs);
    this.interval.unref();
    this.scheduleTransition();
  }

  stopRefresh(): void {
    clearInterval(this.interval);
    clearTimeout(this.transition);
    this.interval = undefined;
    this.transition = undefined;
  }

  private async refresh(): Promise<void> {
    try {
      await this.reload();
    } catch (error) {
      this.onError(error);
    }
  }

  private scheduleTransition(): void {
    clearTimeout(this.transition);
    this.transition = undefined;
    if (!this.interval) return;
    const next = this.nextTransition();
    if (!next) return;
    // Timers cap at 2^31 ms; a far transition is picked up by a later reload's own schedule.
    const delay = Math.min(Math.max(next.getTime() - Date.now(), 0) + 10, 2 ** 31 - 1);
    this.transition = setTimeout(() => void this.refresh(), delay);
    this.transition.unref();
  }

  async reload(now = new Date()): Promise<KeySnapshot> {
    this.stored = await this.repo.list();
    for (const key of this.stored) {
      if (this.decrypted.has(key.kid)) continue;
      try {
        this.decrypted.set(key.kid, JSON.parse(decrypt(this.kek, key.encryptedPrivateJwk, key.kid)) as PrivateJwk);
      } catch (cause) {
        throw new Error(`cannot decrypt signing key ${key.kid}: KEY_ENCRYPTION_KEY differs from the one that created it`, { cause });
      }
    }
    const next = snapshotAt(this.stored, this.decrypted, now);
    const same = JSON.stringify([next.signing, next.publicKeys.map((key) => key.kid)]) === JSON.stringify([this.current.signing, this.current.publicKeys.map((key) => key.kid)]);
    this.current = next;
    if (!same) {
      this.version += 1;
      for (const listener of this.listeners) listener(next);
    }
    this.scheduleTransition();
    // Retired rows are dropped from the store once past; their tokens have all expired by then.
    await this.repo.deleteRetired(now);
    return next;
  }

  /**
   * Publishes a new key per algorithm at once; it signs after the sign delay. The keys it replaces (every
   * key of its algorithm without a retirement yet) retire the retirement delay after that.
   */
  async rotate(now = new Date()): Promise<Rotation> {
    const activeFrom = new Date(now.getTime() + this.schedule.signDelaySeconds * 1000);
    const retireAt = new Date(activeFrom.getTime() + this.schedule.retireAfterSeconds * 1000);
    const before = await this.repo.list();
    const kids: string[] = [];
    for (const alg of ALGORITHMS) {
      const replaced = before.filter((key) => key.alg === alg && key.retireAt === null).map((key) => key.kid);
      const key = newKey(alg, this.kek, now, activeFrom);
      await this.repo.insertIfAbsent(key);
      await this.repo.scheduleRetirement(replaced, retireAt);
      kids.push(key.kid);
    }
    await this.reload(now);
    return { kids, activeFrom, retireAt };
  }
}
