// Admin API handlers for hooks: create (the signing secret is in this answer only), list, read, change, delete.
import type { Context } from 'koa';
import { DomainError } from '../domain/errors.ts';
import { hookChanges, hookInput } from '../domain/hooks/hook-rules.ts';
import type { Hook } from '../domain/hooks/hooks.repository.ts';
import type { HookRunner } from '../hooks/hook-runner.ts';
import { fieldErrors } from './client-input.ts';

function view(hook: Hook) {
  return {
    id: hook.id,
    point: hook.point,
    url: hook.url,
    timeout_ms: hook.timeoutMs,
    failure_policy: hook.failurePolicy,
    enabled: hook.enabled,
    claim_namespace: hook.claimNamespace,
    created_at: hook.createdAt.toISOString(),
    updated_at: hook.updatedAt.toISOString(),
  };
}

function invalid(fields: Record<string, string>): DomainError {
  return new DomainError('invalid_input', `invalid hook: ${Object.entries(fields).map(([field, problem]) => `${field} ${problem}`).join('; ')}`, { details: { fields } });
}

export function hookHandlers(hooks: HookRunner) {
  /** The URL is called by this server: refused here when it never could be (scheme, private or link-local address). */
  async function checkUrl(url: string | undefined): Promise<void> {
    if (url === undefined) return;
    const problem = await hooks.targetProblem(url);
    if (problem) throw invalid({ url: problem });
  }

  async function found(ctx: Context): Promise<Hook> {
    const hook = await hooks.repository.find(String(ctx.params.id));
    if (!hook) throw new DomainError('not_found', 'no such hook');
    return hook;
  }

  return {
    async create(ctx: Context) {
      const parsed = hookInput.safeParse(ctx.request.body);
      if (!parsed.success) throw invalid(fieldErrors(parsed.error));
      const input = parsed.data;
      await checkUrl(input.url);
      const { hook, secret } = await hooks.create({
        point: input.point, url: input.url, timeoutMs: input.timeout_ms, failurePolicy: input.failure_policy, enabled: input.enabled, claimNamespace: input.claim_namespace,
      });
      ctx.status = 201;
      ctx.set('Location', `/admin/hooks/${encodeURIComponent(hook.id)}`);
      ctx.body = { ...view(hook), secret };
    },

    async list(ctx: Context) {
      ctx.body = { items: (await hooks.repository.list()).map(view) };
    },

    async read(ctx: Context) {
      ctx.body = view(await found(ctx));
    },

    async change(ctx: Context) {
      const parsed = hookChanges.safeParse(ctx.request.body);
      if (!parsed.success) throw invalid(fieldErrors(parsed.error));
      const hook = await found(ctx);
      const input = parsed.data;
      await checkUrl(input.url);
      const updated = await hooks.update(hook.id, {
        ...(input.url === undefined ? {} : { url: input.url }),
        ...(input.timeout_ms === undefined ? {} : { timeoutMs: input.timeout_ms }),
        ...(input.failure_policy === undefined ? {} : { failurePolicy: input.failure_policy }),
        ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
        ...(input.claim_namespace === undefined ? {} : { claimNamespace: input.claim_namespace }),
      });
      if (!updated) throw new DomainError('not_found', 'no such hook');
      ctx.body = view(updated);
    },

    async remove(ctx: Context) {
      if (!(await hooks.delete(String(ctx.params.id)))) throw new DomainError('not_found', 'no such hook');
      ctx.status = 204;
    },
  };
}
