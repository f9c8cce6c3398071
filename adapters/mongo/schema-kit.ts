// Shared pieces of the mongoose schemas: options (no implicit indexes, unknown fields refused) and field kinds.
// Indexes are created explicitly at open (see indexes.ts), never by mongoose behind our back.
export const options = { versionKey: false, autoIndex: false, autoCreate: false, strict: 'throw', timestamps: false } as const;
export const nullableString = { type: String, default: null };
export const nullableDate = { type: Date, default: null };

/**
 * A required string that may be empty: mongoose's own `required` refuses '', but these hold what the caller
 * chose (ids, labels, values), which the SQLite adapter stores as given.
 */
export function givenString(path: string) {
  return { type: String, required(this: { get(path: string): unknown }) { return typeof this.get(path) !== 'string'; } };
}
