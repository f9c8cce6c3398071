// When to offer a passkey after a password sign-in: the member has none, and this browser has not said
// "Not now" in the last week (a cookie per device, which is where a passkey would live anyway).
import type { Context } from 'koa';
import type { PasskeyService } from '../../server/domain/passkeys/passkey-service.ts';

const SNOOZE_DAYS = 7;

export class PasskeyOffer {
  private readonly passkeys: PasskeyService;
  private readonly secure: boolean;

  constructor(passkeys: PasskeyService, secure: boolean) {
    this.passkeys = passkeys;
    this.secure = secure;
  }

  private name(): string {
    return this.secure ? '__Secure-idp-passkey-snooze' : 'idp-passkey-snooze';
  }

  async due(ctx: Context, accountId: string): Promise<boolean> {
    if (ctx.cookies.get(this.name()) === '1') return false;
    return !(await this.passkeys.hasPasskey(accountId));
  }

  snooze(ctx: Context): void {
    ctx.cookies.set(this.name(), '1', {
      httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/interaction', maxAge: SNOOZE_DAYS * 24 * 3600 * 1000, overwrite: true,
    });
  }
}
