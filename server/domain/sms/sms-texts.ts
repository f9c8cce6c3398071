// The text of every SMS. Short (one segment), the code first, and a last line in the WebOTP format
// ("@host #code") so phones offer to fill the code in on our pages only.
import type { OutgoingSms } from './sms-sender.ts';

function withOrigin(to: string, text: string, code: string, host: string): OutgoingSms {
  return { to, text: `${text}\n\n@${host} #${code}` };
}

export function smsStepUpCode(to: string, code: string, host: string): OutgoingSms {
  return withOrigin(to, `${code} is your code to confirm it is you. It expires in 10 minutes. Never share it.`, code, host);
}

export function smsSignInCode(to: string, code: string, host: string): OutgoingSms {
  return withOrigin(to, `${code} is your sign-in code. It expires in 10 minutes. Never share it.`, code, host);
}

export function smsPhoneVerificationCode(to: string, code: string, host: string): OutgoingSms {
  return withOrigin(to, `${code} is your code to add this phone to your loyalty account. It expires in 10 minutes.`, code, host);
}

export function smsCardClaimCode(to: string, code: string, host: string): OutgoingSms {
  return withOrigin(to, `${code} is your code to add your loyalty card to an online account. It expires in 10 minutes. Never share it.`, code, host);
}
