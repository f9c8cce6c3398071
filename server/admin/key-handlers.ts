// Admin API: signing-key rotation (publish now, sign after the delay, retire the old keys later).
import type { RouterContext } from '@koa/router';
import type { SigningKeys } from '../domain/keys/key-service.ts';

export function keyHandlers(keys: SigningKeys) {
  return {
    async rotate(ctx: RouterContext) {
      const rotation = await keys.rotate();
      ctx.status = 201;
      ctx.body = {
        kids: rotation.kids,
        published_at: new Date().toISOString(),
        active_from: rotation.activeFrom.toISOString(),
        previous_keys_retire_at: rotation.retireAt.toISOString(),
      };
    },
  };
}
