// The geo port over DB-IP's free country database, shipped as the npm package @ip-location-db/dbip-country
// (CC BY 4.0): no network look-ups, and the data is as fresh as the installed package version.
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { GeoLookup } from './geo.ts';
import { isPublicIpv4, isPublicIpv6, parseIp } from './ip-address.ts';
import { findIpv4, findIpv6, RangeTableBuilder, type RangeTable } from './ip-ranges.ts';

/**
 * Lines parsed between two turns of the event loop: a slice takes a few milliseconds, so requests
 * served while the database loads (boot, or a lazy first use) wait no longer than that.
 */
const ROWS_PER_SLICE = 8_192;
const NEWLINE = 10;

/** One of the package's `start,end,CC` files (decimal addresses), found through the package itself. */
export function dbipCsvPath(family: 4 | 6): string {
  const manifest = createRequire(import.meta.url).resolve('@ip-location-db/dbip-country/package.json');
  return join(dirname(manifest), `dbip-country-ipv${family}-num.csv`);
}

/**
 * Bytes per line of the package's files at their shortest in practice (IPv4 lines average 25, IPv6 81): the
 * arrays are sized from the file size once, rather than grown and copied.
 */
const MIN_LINE_BYTES = { 4: 20, 6: 60 } as const;
/**
 * Read in pieces through one buffer: reading the whole IPv6 file (28 MB), or in fresh chunks, left tens of MB of
 * garbage that no collection reclaimed while the server sat idle after boot.
 */
const READ_BUFFER_BYTES = 1 << 20;

async function loadTable(family: 4 | 6): Promise<RangeTable> {
  const path = dbipCsvPath(family);
  const file = await open(path);
  try {
    const { size } = await file.stat();
    const builder = new RangeTableBuilder(family === 4 ? 1 : 4, basename(path), size / MIN_LINE_BYTES[family]);
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    let filled = 0;
    for (let position = 0; ; ) {
      const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, position);
      position += bytesRead;
      filled += bytesRead;
      const final = bytesRead === 0;
      // Whole lines go now; a cut last line moves to the front and waits for the rest. The final call sees the
      // file's end (so an empty last line is told apart from one inside the file).
      const cut = final ? filled : buffer.lastIndexOf(NEWLINE, filled - 1) + 1;
      if (cut === 0 && !final) throw new Error(`${basename(path)}: a line longer than ${READ_BUFFER_BYTES} bytes`);
      const lines = buffer.subarray(0, cut);
      for (let offset = 0; offset < lines.length; ) {
        offset = builder.parse(lines, offset, ROWS_PER_SLICE, final);
        await yieldToEventLoop();
      }
      if (final) return builder.finish();
      buffer.copyWithin(0, cut, filled);
      filled -= cut;
    }
  } finally {
    await file.close();
  }
}

function createLookup(ipv4: RangeTable, ipv6: RangeTable): GeoLookup {
  return Object.freeze({
    country(ip: string): string | undefined {
      // parseIp refuses non-strings, over-long and malformed text, so this never throws.
      const parsed = parseIp(ip);
      if (!parsed) return undefined;
      if (parsed.family === 4) {
        return isPublicIpv4(parsed.value) ? ipv4.codes[findIpv4(ipv4, parsed.value)] : undefined;
      }
      return isPublicIpv6(parsed.words) ? ipv6.codes[findIpv6(ipv6, parsed.words)] : undefined;
    },
  });
}

let loading: Promise<GeoLookup> | undefined;

/**
 * The process's one look-up (~700k ranges, both files parsed once in slices); every caller, concurrent
 * or later, gets the same object. A failed load is forgotten so the next call tries again.
 */
export function loadGeoLookup(): Promise<GeoLookup> {
  loading ??= Promise.all([loadTable(4), loadTable(6)]).then(
    ([ipv4, ipv6]) => createLookup(ipv4, ipv6),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}
