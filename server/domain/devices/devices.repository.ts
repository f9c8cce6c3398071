// Port: the devices (browsers, by their device cookie) each account signed in on — the "known device"
// and "new country" / "impossible travel" risk signals read them, and members will see and remove them.

export interface KnownDevice {
  accountId: string;
  /** HMAC of the device cookie's value (the cookie itself is never stored). */
  deviceHash: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  /** Where the last sign-in on it came from (IP, its country when known, the browser's user agent). */
  lastIp: string | null;
  lastCountry: string | null;
  userAgent: string | null;
}

export interface DeviceSighting {
  at: Date;
  ip: string | null;
  country: string | null;
  userAgent: string | null;
}

export interface DevicesRepository {
  /**
   * Records a sign-in on the device: creates it (firstSeenAt = lastSeenAt = at) or refreshes its last-seen
   * fields. Returns whether the device was known to the account before this call; of concurrent first
   * calls for one pair exactly one gets false.
   */
  record(accountId: string, deviceHash: string, seen: DeviceSighting): Promise<{ known: boolean }>;
  find(accountId: string, deviceHash: string): Promise<KnownDevice | undefined>;
  /** The account's devices, most recently seen first (at most `limit`, 1-100). */
  listByAccount(accountId: string, limit: number): Promise<KnownDevice[]>;
  /** Forgets a device (the member removed it, or the account is deleted); returns whether it existed. */
  delete(accountId: string, deviceHash: string): Promise<boolean>;
  deleteByAccount(accountId: string): Promise<number>;
}
