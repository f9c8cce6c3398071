// Port: is this password known from data breaches? Beyond the shipped common-password list, a
// k-anonymity range service can answer without ever seeing the password (see PWNED_PASSWORDS_URL).
export interface BreachedPasswords {
  /** True only when the service says so; unreachable or slow services answer false (the local list still applies). */
  isBreached(password: string): Promise<boolean>;
}
