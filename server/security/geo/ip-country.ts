// The geo port over DB-IP's free country database, shipped as the npm package @ip-location-db/dbip-country
// (CC BY 4.0): no network look-ups, and the data is as fresh as the installed package version.
import { readFile } from 'node:fs/promises';
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

/** One of the package's `start,end,CC` files (decimal addresses), found through the package itself. */
export function dbipCsvPath(family: 4 | 6): string {
  const manifest = createRequire(import.meta.url).resolve('@ip-location-db/dbip-country/package.json');
  return join(dirname(manifest), `dbip-country-ipv${family}-num.csv`);
}

async function loadTable(family: 4 | 6): Promise<RangeTable> {
  const path = dbipCsvPath(family);
  const csv = await readFile(path);
  const builder = new RangeTableBuilder(family === 4 ? 1 : 4, basename(path));
  for (let offset = 0; offset < csv.length; ) {
    offset = builder.parse(csv, offset, ROWS_PER_SLICE);
    await yieldToEventLoop();
  }
  return builder.finish();
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
