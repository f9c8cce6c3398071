// Port: where an IP address is, as far as a shipped country database knows (risk rules: new country,
// impossible travel; SMS country allowlist). No network look-ups: the data ships as an npm package.

export interface GeoLookup {
  /**
   * ISO 3166-1 alpha-2, upper case; undefined for private, loopback, reserved or unknown addresses and
   * for anything that is not a well-formed IPv4/IPv6 address (it is client-supplied: never throws).
   * IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports) answers as the IPv4 address.
   */
  country(ip: string): string | undefined;
}

/** Degrees, WGS 84: latitude -90…90, longitude -180…180. */
export interface Coordinates {
  lat: number;
  lon: number;
}
