// The program's profile fields: what members are asked for beyond email, when, and which scope releases
// each as a claim. Ask little up front and the rest when it is needed: when a client requires it (client
// metadata required_claims), at sign-up, after some sign-ins, or before the first redemption. A program
// declares its own list in a JSON file (PROFILE_FIELDS_FILE); without one, fields are asked only when a
// client requires them.
import { z } from 'zod';

export type FieldType = 'text' | 'date' | 'postal_code' | 'choice';

export interface ProfileFieldSpec {
  /** The claim name (standard OIDC claims where one exists). */
  name: string;
  type: FieldType;
  /** For type choice: the allowed values (labels are message ids profile.choice.<name>.<value>). */
  choices?: readonly string[];
  /** Required fields cannot be skipped once asked; optional ones can ("Not now"). */
  required: boolean;
  ask: {
    atSignUp?: boolean;
    /** Asked from the n-th sign-in on. */
    afterSignIns?: number;
    /** Asked before points can be redeemed (authorization requests with the loyalty:redeem scope). */
    beforeRedemption?: boolean;
  };
  /** The scope that releases it as a claim. */
  scope: 'profile' | 'address' | 'loyalty';
  autocomplete: string;
}

/** The fields the pages know how to ask (each has its label and choices in the message catalogue). */
export const KNOWN_FIELDS: readonly ProfileFieldSpec[] = [
  { name: 'given_name', type: 'text', required: true, ask: {}, scope: 'profile', autocomplete: 'given-name' },
  { name: 'family_name', type: 'text', required: false, ask: {}, scope: 'profile', autocomplete: 'family-name' },
  { name: 'birthdate', type: 'date', required: false, ask: {}, scope: 'profile', autocomplete: 'bday' },
  { name: 'address.postal_code', type: 'postal_code', required: false, ask: {}, scope: 'address', autocomplete: 'postal-code' },
  { name: 'favourite_store', type: 'choice', choices: ['online', 'city_centre', 'retail_park'], required: false, ask: {}, scope: 'loyalty', autocomplete: 'off' },
];

/** One entry of PROFILE_FIELDS_FILE: a known field, whether it is required, and when it is asked. */
const declaration = z.object({
  name: z.enum(KNOWN_FIELDS.map((field) => field.name) as [string, ...string[]]),
  required: z.boolean().default(false),
  ask: z.object({
    atSignUp: z.boolean().optional(),
    afterSignIns: z.number().int().min(1).max(1000).optional(),
    beforeRedemption: z.boolean().optional(),
  }).strict().default({}),
}).strict();

/** Parses the program's declaration (the JSON of PROFILE_FIELDS_FILE); throws with the zod message. */
export function parseProfileFields(json: unknown): ProfileFieldSpec[] {
  const declared = z.array(declaration).max(KNOWN_FIELDS.length).parse(json);
  const names = declared.map((d) => d.name);
  if (new Set(names).size !== names.length) throw new Error('a field is declared twice');
  return declared.map((d) => ({ ...KNOWN_FIELDS.find((field) => field.name === d.name)!, required: d.required, ask: d.ask }));
}
