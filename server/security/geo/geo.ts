// Port: where an IP address is, as far as a shipped country database knows (risk rules: new country,
// impossible travel; SMS country allowlist). No network look-ups: the data ships as an npm package.

export interface GeoLookup {
  /** ISO 3166-1 alpha-2, upper case; undefined for private, loopback, reserved or unknown addresses. */
  country(ip: string): string | undefined;
}

export interface Coordinates {
  lat: number;
  lon: number;
}
