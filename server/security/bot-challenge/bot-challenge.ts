// Self-hosted proof-of-work bot challenge: a signed, interaction-bound, expiring token whose solution
// costs the browser ~2^difficulty SHA-256 hashes and the server one, accepted once.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { leadingZeroBits } from './solve.ts';

export interface IssuedChallenge {
  token: string;
  difficulty: number;
}

/**
 * ok: solved, first use. missing: no token at all. malformed: wrong type or size, bad encoding or
 * signature (tampered, another key). wrong_binding: issued for another interaction. expired. unsolved:
 * no solution or too few zero bits. replayed: the same challenge was accepted before.
 */
export type ChallengeCheck = 'ok' | 'missing' | 'malformed' | 'wrong_binding' | 'expired' | 'unsolved' | 'replayed';

/** Single-use record; FactorsRepository.claimUse (server/domain/factors/factors.repository.ts) fits. */
export interface SingleUse {
  claimUse(scope: string, value: string, expiresAt: Date): Promise<boolean>;
}

export interface BotChallengeOptions {
  /** 32 bytes, for this purpose only (deriveKey(kek, 'bot-challenge')). */
  key: Buffer;
  /** Leading zero bits new challenges ask for. */
  difficulty: number;
  ttlSeconds: number;
  uses: SingleUse;
}

const VERSION = 1;
const USE_SCOPE = 'bot-challenge';
// Payload: version (1) | id (16) | binding hash (16) | difficulty (1) | expiry, Unix seconds (4) = 38 bytes.
const ID_BYTES = 16;
const BINDING_BYTES = 16;
const PAYLOAD_BYTES = 1 + ID_BYTES + BINDING_BYTES + 1 + 4;
const MAC_BYTES = 32;
const MAX_DIFFICULTY = 32;
// base64url of 38 and 32 bytes; anything else is refused before any crypto runs.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{51}\.[A-Za-z0-9_-]{43}$/;
const SOLUTION_SHAPE = /^[0-9]{1,16}$/;
/** Nothing longer is even looked at (the real token is 95 characters, a solution at most 16). */
const MAX_INPUT = 1024;

const isAbsent = (value: unknown): boolean => value === undefined || value === null || value === '';

export class BotChallenge {
  private readonly key: Buffer;
  private readonly difficulty: number;
  private readonly ttlSeconds: number;
  private readonly uses: SingleUse;

  constructor(opts: BotChallengeOptions) {
    if (opts.key.length < 32) throw new Error('bot challenge key must be at least 32 bytes');
    if (!Number.isInteger(opts.difficulty) || opts.difficulty < 1 || opts.difficulty > MAX_DIFFICULTY) {
      throw new Error(`bot challenge difficulty must be a whole number of bits from 1 to ${MAX_DIFFICULTY}`);
    }
    if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 1) throw new Error('bot challenge lifetime must be a positive whole number of seconds');
    this.key = opts.key;
    this.difficulty = opts.difficulty;
    this.ttlSeconds = opts.ttlSeconds;
    this.uses = opts.uses;
  }

  /** A new challenge for the form of this interaction (`binding` = its uid). */
  issue(binding: string, now: Date = new Date()): IssuedChallenge {
    const payload = Buffer.alloc(PAYLOAD_BYTES);
    payload.writeUInt8(VERSION, 0);
    randomBytes(ID_BYTES).copy(payload, 1);
    bindingHash(binding).copy(payload, 1 + ID_BYTES);
    payload.writeUInt8(this.difficulty, 1 + ID_BYTES + BINDING_BYTES);
    payload.writeUInt32BE(Math.floor(now.getTime() / 1000) + this.ttlSeconds, PAYLOAD_BYTES - 4);
    return { token: `${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`, difficulty: this.difficulty };
  }

  /**
   * Cheapest checks first, so junk costs no crypto and a wrong answer burns nothing: shapes and sizes,
   * then the signature, binding and expiry, then the one hash of the solution, and only then the claim.
   */
  async verify(binding: string, token: unknown, solution: unknown, now: Date = new Date()): Promise<ChallengeCheck> {
    if (isAbsent(token)) return 'missing';
    if (typeof token !== 'string' || token.length > MAX_INPUT || !TOKEN_SHAPE.test(token)) return 'malformed';
    const unsolved = isAbsent(solution);
    if (!unsolved && (typeof solution !== 'string' || solution.length > MAX_INPUT || !SOLUTION_SHAPE.test(solution))) return 'malformed';

    const [payloadText = '', macText = ''] = token.split('.');
    const payload = Buffer.from(payloadText, 'base64url');
    const mac = Buffer.from(macText, 'base64url');
    // Only the canonical encoding: otherwise one challenge would have several token strings.
    if (payload.toString('base64url') !== payloadText || mac.toString('base64url') !== macText) return 'malformed';
    if (payload.length !== PAYLOAD_BYTES || mac.length !== MAC_BYTES || !timingSafeEqual(mac, this.mac(payload))) return 'malformed';
    if (payload.readUInt8(0) !== VERSION) return 'malformed';
    const difficulty = payload.readUInt8(1 + ID_BYTES + BINDING_BYTES);
    if (difficulty < 1 || difficulty > MAX_DIFFICULTY) return 'malformed';

    const boundTo = payload.subarray(1 + ID_BYTES, 1 + ID_BYTES + BINDING_BYTES);
    if (!timingSafeEqual(boundTo, bindingHash(binding))) return 'wrong_binding';
    const expiresAt = new Date(payload.readUInt32BE(PAYLOAD_BYTES - 4) * 1000);
    if (now.getTime() >= expiresAt.getTime()) return 'expired';

    // The difficulty is the token's own, so changing the setting leaves challenges in flight valid.
    if (unsolved || leadingZeroBits(createHash('sha256').update(`${token}:${solution as string}`).digest()) < difficulty) return 'unsolved';

    const id = payload.subarray(1, 1 + ID_BYTES).toString('base64url');
    return (await this.uses.claimUse(USE_SCOPE, id, expiresAt)) ? 'ok' : 'replayed';
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }
}

/** The interaction uid never travels in clear inside the token, only this hash of it. */
function bindingHash(binding: string): Buffer {
  return createHash('sha256').update(`loyalty-idp:bot-challenge-binding\0${binding}`).digest().subarray(0, BINDING_BYTES);
}
