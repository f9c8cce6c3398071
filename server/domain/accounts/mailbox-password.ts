// A password set through the emailed reset code proves the mailbox, not knowledge: whoever reads the
// inbox could have set it. While that holds, a password sign-in counts as the mailbox class.

/**
 * How long a password set by reset counts as the mailbox. After a month of the member using it without
 * a complaint (the reset email, the "password changed" notice), it is taken as theirs again; proving any
 * other class (phone, device) or changing it after a strong sign-in ends it sooner.
 */
export const MAILBOX_PASSWORD_DAYS = 30;

/** Whether the account's password still proves only the mailbox (set by reset in the last MAILBOX_PASSWORD_DAYS). */
export function passwordProvesMailbox(account: { passwordFromMailboxAt: Date | null }, now = Date.now()): boolean {
  const at = account.passwordFromMailboxAt;
  return at !== null && now - at.getTime() < MAILBOX_PASSWORD_DAYS * 24 * 60 * 60 * 1000;
}
