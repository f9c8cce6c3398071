// Calls the operator's hooks: signed JSON POST through the SSRF-safe outbound client, bounded by the hook's own
// timeout however the far end behaves, the answer validated with zod; any failure (timeout, 5xx, invalid JSON,
// a disallowed answer) follows the hook's failure policy. Every call is audited and counted.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AuditLog } from '../domain/audit/audit-log.ts';
import type { FailurePolicy, Hook, HookChanges, HookPoint, HooksRepository } from '../domain/hooks/hooks.repository.ts';
import { type LocalisedMessage, MAX_HOOK_ANSWER_BYTES, postLoginAnswer, preRegistrationAnswer, preTokenAnswer } from '../domain/hooks/hook-rules.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { decrypt, encrypt } from '../security/crypto.ts';
import { describeOutboundFailure, type OutboundClient, type OutboundPolicy } from '../security/outbound/outbound-fetch.ts';
import { newWebhookSecret, signedHeaders } from './standard-webhooks.ts';

/**
 * Where hooks may point: https, or plain http to loopback outside production (a developer's or a test's
 * receiver); never private or link-local addresses. Each call's timeout is the hook's own.
 */
export function hookTargets(production: boolean): OutboundPolicy {
  return { name: 'hook', allowLoopback: !production, requireHttps: true, timeoutMs: 10_000, maxResponseBytes: MAX_HOOK_ANSWER_BYTES };
}

/** Why a call did not give a usable answer (audit reason and metric label). */
type Failure = 'timeout' | 'http_error' | 'invalid_json' | 'invalid_answer' | 'unreachable' | 'refused';

export type Decision<T> = { ok: true; answer: T } | { ok: false; failure: Failure; policy: FailurePolicy };

/** The member-facing outcome of a guarding hook: go on (maybe with additions), step up, or refuse. */
export type PreRegistration = { decision: 'allow'; profile: Record<string, string> } | { decision: 'deny'; message: LocalisedMessage | undefined };
export type PostLogin =
  | { decision: 'allow' | 'step_up'; claims: Record<string, unknown> }
  | { decision: 'deny'; message: LocalisedMessage | undefined };
export type PreToken = { decision: 'allow'; claims: Record<string, unknown> } | { decision: 'deny' };

export interface HookRunnerDeps {
  repository: HooksRepository;
  outbound: OutboundClient;
  sealKey: Buffer;
  audit: AuditLog;
  metrics: Metrics;
  logger: Logger;
  /** ISO country of an IP address, when known (sent to the hooks as ip_country). */
  countryOf?: (ip: string) => string | undefined;
}

/** How long an instance trusts its copy of the hook list: a change made on another instance applies within this. */
const HOOK_CACHE_MS = 5000;

const sealedFor = (id: string) => `hook-secret:${id}`;

export class HookRunner {
  private readonly deps: HookRunnerDeps;
  /** post-redemption calls still in flight (drained at shutdown). */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The enabled hook per point (or none), read at most every HOOK_CACHE_MS: no store read per sign-in. */
  private cache: { at: number; hooks: Map<HookPoint, Hook> } | undefined;

  constructor(deps: HookRunnerDeps) {
    this.deps = deps;
  }

  get repository(): HooksRepository {
    return this.deps.repository;
  }

  /** Why this server would refuse to call `url` (scheme, private or link-local address), or undefined. */
  targetProblem(url: string): Promise<string | undefined> {
    return this.deps.outbound.targetProblem(url);
  }

  countryOf(ip: string): string | null {
    return this.deps.countryOf?.(ip) ?? null;
  }

  /** Creates a hook with a new secret, returned once (only its sealed form is stored). */
  async create(input: Omit<Hook, 'id' | 'secretSealed' | 'createdAt' | 'updatedAt'>): Promise<{ hook: Hook; secret: string }> {
    const id = randomUUID();
    const secret = newWebhookSecret();
    const hook = await this.deps.repository.create({ ...input, id, secretSealed: encrypt(this.deps.sealKey, secret, sealedFor(id)) });
    this.cache = undefined;
    return { hook, secret };
  }

  async update(id: string, changes: HookChanges): Promise<Hook | undefined> {
    const hook = await this.deps.repository.update(id, changes);
    this.cache = undefined;
    return hook;
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.deps.repository.delete(id);
    this.cache = undefined;
    return deleted;
  }

  /** Whether a hook is enabled at this point (callers skip building its request otherwise). */
  async enabled(point: HookPoint): Promise<Hook | undefined> {
    const now = Date.now();
    if (!this.cache || now - this.cache.at > HOOK_CACHE_MS) {
      const hooks = (await this.deps.repository.list()).filter((hook) => hook.enabled);
      this.cache = { at: now, hooks: new Map(hooks.map((hook) => [hook.point, hook])) };
    }
    return this.cache.hooks.get(point);
  }

  /**
   * Synchronously: whether the cached list (still fresh) has no enabled hook at `point`. The token endpoint asks
   * before building a pre-token call, so a partner's token costs no async frames while no hook is set (issue 19);
   * false when the list is stale or unread, and the caller takes the ordinary path, which reads it.
   */
  knownNone(point: HookPoint): boolean {
    return this.cache !== undefined && Date.now() - this.cache.at <= HOOK_CACHE_MS && !this.cache.hooks.has(point);
  }

  async preRegistration(body: Record<string, unknown>): Promise<PreRegistration> {
    const hook = await this.enabled('pre-registration');
    if (!hook) return { decision: 'allow', profile: {} };
    const result = await this.call(hook, body, preRegistrationAnswer, null);
    if (!result.ok) return result.policy === 'open' ? { decision: 'allow', profile: {} } : { decision: 'deny', message: undefined };
    const answer = result.answer;
    if (answer.decision === 'deny') return { decision: 'deny', message: answer.message };
    const profile = Object.fromEntries(Object.entries(answer.profile ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    return { decision: 'allow', profile };
  }

  async postLogin(body: Record<string, unknown>, accountId: string): Promise<PostLogin> {
    const hook = await this.enabled('post-login');
    if (!hook) return { decision: 'allow', claims: {} };
    const result = await this.call(hook, body, postLoginAnswer(hook.claimNamespace), accountId);
    if (!result.ok) return result.policy === 'open' ? { decision: 'allow', claims: {} } : { decision: 'deny', message: undefined };
    const answer = result.answer;
    if (answer.decision === 'deny') return { decision: 'deny', message: answer.message };
    return { decision: answer.decision, claims: answer.claims ?? {} };
  }

  async preToken(body: Record<string, unknown>): Promise<PreToken> {
    const hook = await this.enabled('pre-token');
    if (!hook) return { decision: 'allow', claims: {} };
    const result = await this.call(hook, body, preTokenAnswer(hook.claimNamespace), null);
    if (!result.ok) return result.policy === 'open' ? { decision: 'allow', claims: {} } : { decision: 'deny' };
    return result.answer.decision === 'deny' ? { decision: 'deny' } : { decision: 'allow', claims: result.answer.claims ?? {} };
  }

  /**
   * The claims a post-login hook gave this member at this client, for their tokens. None while no post-login
   * hook is enabled (disabling the hook withdraws its claims), which also spares every token a store read.
   */
  async claimsFor(accountId: string, clientId: string): Promise<Record<string, unknown> | undefined> {
    if (!(await this.enabled('post-login'))) return undefined;
    return this.deps.repository.findClaims(accountId, clientId, new Date());
  }

  /** Informational: started after the redemption committed, never awaited by it, failures only audited. */
  postRedemption(body: Record<string, unknown>, accountId: string): void {
    const run = (async () => {
      const hook = await this.enabled('post-redemption');
      if (hook) await this.call(hook, body, null, accountId);
    })().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'post-redemption hook failed'));
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** Waits for post-redemption calls still running (each bounded by its hook's timeout). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** One signed call: the answer parsed by `schema` (null: the answer is not read), or why not. */
  private async call<S extends z.ZodType>(hook: Hook, payload: Record<string, unknown>, schema: S | null, accountId: string | null): Promise<Decision<z.output<S>>> {
    const started = performance.now();
    const body = JSON.stringify({ type: hook.point, timestamp: new Date().toISOString(), data: payload });
    let status: number | null = null;
    let outcome: Failure | 'ok';
    let answer: unknown;
    // The sign-in waits at most timeout_ms, whatever the far end does (slow headers, a trickled body); the
    // outbound client aborts the request itself at the same timeout.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), hook.timeoutMs);
    });
    try {
      const secret = decrypt(this.deps.sealKey, hook.secretSealed, sealedFor(hook.id));
      const attempt = (async () => {
        const response = await this.deps.outbound.fetch(hook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...signedHeaders(secret, body) },
          body,
          timeoutMs: hook.timeoutMs,
        });
        status = response.status;
        if (schema === null) {
          await response.body?.cancel().catch(() => undefined);
          return status >= 200 && status < 300 ? 'ok' : 'http_error';
        }
        const text = await response.text();
        if (status < 200 || status >= 300) return 'http_error';
        try {
          answer = JSON.parse(text);
        } catch {
          return 'invalid_json';
        }
        return 'ok';
      })();
      // A late rejection after the deadline won must not surface as unhandled.
      attempt.catch(() => undefined);
      outcome = await Promise.race([attempt, deadline]);
    } catch (error) {
      const described = describeOutboundFailure(error);
      outcome = described === 'timeout' ? 'timeout' : described.startsWith('unreachable') ? 'unreachable' : 'refused';
    } finally {
      clearTimeout(timer);
    }
    let parsed: z.output<S> | undefined;
    if (outcome === 'ok' && schema !== null) {
      const result = schema.safeParse(answer);
      if (result.success) parsed = result.data;
      else outcome = 'invalid_answer';
    }
    const seconds = (performance.now() - started) / 1000;
    const decision = outcome === 'ok' ? (parsed as { decision?: string } | undefined)?.decision ?? 'delivered' : outcome;
    this.deps.metrics.hookCalls.inc({ point: hook.point, outcome: decision });
    this.deps.metrics.hookDuration.observe({ point: hook.point }, seconds);
    await this.deps.audit.record({
      type: 'hook.call',
      accountId,
      reason: decision,
      details: {
        point: hook.point,
        hook_id: hook.id,
        status,
        duration_ms: Math.round(seconds * 1000),
        policy: outcome === 'ok' ? null : `fail_${hook.failurePolicy}`,
      },
    });
    if (outcome !== 'ok') {
      this.deps.logger.warn({ point: hook.point, hookId: hook.id, outcome, status }, 'hook call failed');
      return { ok: false, failure: outcome, policy: hook.failurePolicy };
    }
    return { ok: true, answer: parsed as z.output<S> };
  }
}

export type { HookPoint };
