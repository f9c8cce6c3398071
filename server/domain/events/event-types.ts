// The one registry of domain event types a webhook may subscribe to: the admin API refuses any other name.

/** `satisfies` keeps the list and the union in step: a type added to one and not the other is a compile error. */
const TYPES = {
  'member.created': 'A loyalty member was enrolled (first sign-up of an account; channel and method).',
  'signup.code_sent': 'A sign-up\'s verification code was sent (the sign-up funnel\'s second step).',
  'member.email_verified': 'The member proved their email address.',
  'member.phone_verified': 'The member proved a mobile number (added or changed).',
  'member.profile_updated': 'The member changed profile fields.',
  'member.deleted': 'The member was erased.',
  'member.merged': 'Two members were merged into one.',
  'signin.succeeded': 'A sign-in completed (method, acr, amr, client, risk).',
  'signin.failed': 'A sign-in attempt failed (method, reason, client, risk).',
  'mfa.enrolled': 'The member added an authenticator app or a mobile number as a second factor.',
  'mfa.removed': 'The member removed a second factor.',
  'passkey.added': 'The member registered a passkey.',
  'passkey.removed': 'The member removed a passkey.',
  'points.earned': 'Points were credited (by a partner or the program).',
  'points.redeemed': 'Points were spent.',
  'points.adjusted': 'Points were adjusted, reversed or expired.',
  'coupon.redeemed': 'The member redeemed a partner coupon.',
  'consent.changed': 'The member granted or withdrew consent.',
  'grant.revoked': 'A grant (sessions and tokens a client held) was revoked.',
  'security.blocked': 'Attack protection refused a sign-in or a sign-up.',
} as const;

export type EventType = keyof typeof TYPES;

export const EVENT_TYPES: readonly EventType[] = Object.freeze(Object.keys(TYPES) as EventType[]);

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(TYPES, value);
}

export function describeEventType(type: EventType): string {
  return TYPES[type];
}
