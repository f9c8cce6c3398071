// The text of every account email. Codes stand alone on their own line so members (and tests) find them.
import type { OutgoingEmail } from '../mail/mailer.ts';

export function verificationCode(to: string, code: string): OutgoingEmail {
  return {
    to,
    subject: 'Your verification code',
    text: `Your verification code is:\n\n${code}\n\nIt expires in 10 minutes. If you did not create an account, you can ignore this email.\n`,
  };
}

export function passwordResetCode(to: string, code: string): OutgoingEmail {
  return {
    to,
    subject: 'Reset your password',
    text: `Your password reset code is:\n\n${code}\n\nIt expires in 10 minutes. If you did not ask to reset your password, ignore this email: your password stays the same.\n`,
  };
}

export function alreadyRegistered(to: string): OutgoingEmail {
  return {
    to,
    subject: 'You already have an account',
    text: 'Someone tried to create an account with this email address, which already has one.\n\nIf it was you, sign in instead, or use "Forgot your password?" on the sign-in page. If it was not you, you can ignore this email.\n',
  };
}

export function passwordChanged(to: string): OutgoingEmail {
  return {
    to,
    subject: 'Your password was changed',
    text: 'The password of your account was just changed and every device was signed out.\n\nIf this was not you, reset your password now and contact support.\n',
  };
}

export function weakPasswordHashUpgraded(to: string): OutgoingEmail {
  return {
    to,
    subject: 'We upgraded how your password is protected',
    text: 'You just signed in with the password you used with our previous system, which stored it with weak protection. It is now stored with strong protection; nothing changes for you.\n\nKeep your password secret and do not use it anywhere else. If you used it on another site, change it there and here ("Forgot your password?" on the sign-in page).\n',
  };
}

export function stepUpCode(to: string, code: string): OutgoingEmail {
  return {
    to,
    subject: 'Your sign-in code',
    text: `Your code to confirm it is you is:\n\n${code}\n\nIt expires in 10 minutes. If you did not just sign in, change your password now: someone else knows it.\n`,
  };
}

export function passkeyAdded(to: string): OutgoingEmail {
  return {
    to,
    subject: 'A passkey was added to your account',
    text: 'A passkey was just added to your account, so it can now be used to sign in.\n\nIf this was not you, reset your password now: someone else knows it.\n',
  };
}

export function signInCode(to: string, code: string): OutgoingEmail {
  return {
    to,
    subject: 'Your sign-in code',
    text: `Your code to sign in is:\n\n${code}\n\nIt expires in 10 minutes. If you did not try to sign in, you can ignore this email: nobody can sign in without this code.\n`,
  };
}

/** A factor or sign-in method was added or removed: the owner hears about it even if a thief did it. */
export function securityChanged(to: string, change: string): OutgoingEmail {
  return {
    to,
    subject: 'Your account security changed',
    text: `${change}\n\nIf this was not you, reset your password now and end your other sessions from your account's security page.\n`,
  };
}

/** Sent to the contact on file of an imported card, not to the account asking: whoever reads it owns the card. */
export function cardClaimCode(to: string, cardEnding: string, code: string): OutgoingEmail {
  return {
    to,
    subject: 'Your code to add your loyalty card',
    text: `Your code to add your loyalty card ${cardEnding} from our old program to an online account is:\n\n${code}\n\nIt expires in 10 minutes. Never share it: whoever enters it gets the card's points. If you did not ask for it, ignore this email and your card stays as it is.\n`,
  };
}

/** Sent once a day at most when sign-ins to the account start being blocked or challenged. */
export function signInsBlocked(to: string): OutgoingEmail {
  return {
    to,
    subject: 'We stopped sign-in attempts to your account',
    text: 'Someone tried to sign in to your account with wrong passwords many times, so we are now blocking or double-checking those attempts. Your account is safe and you can still sign in as usual on devices you used before.\n\nIf it was you, wait a little or reset your password. If it was not you, consider changing your password, and do not use it on other sites.\n',
  };
}

/** The unlock link of an account under attack: opened in a browser, it marks that browser as the member's. */
export function unlockLink(to: string, url: string): OutgoingEmail {
  return {
    to,
    subject: 'Unlock sign-in on your device',
    text: `To keep your account safe we need to check it is you before signing in on a new device. Open this link on the device you want to sign in on, within an hour:\n\n${url}\n\nIf you did not try to sign in, ignore this email: nobody can use it without your inbox.\n`,
  };
}
