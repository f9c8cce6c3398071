// Builds a per-test MongoDB URI from MONGODB_URI (set by the jest global setup, or by you for a real mongod).
const URI_SHAPE = /^(mongodb(?:\+srv)?:\/\/)([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/;
const DB_NAME = /^[A-Za-z0-9_-]{1,63}$/;

/**
 * `MONGODB_URI` with its database replaced by `dbName` (query options kept). When the URI carries
 * credentials and no authSource, the original database stays the authSource, so auth still works.
 */
export function mongoTestUri(dbName: string): string {
  const base = process.env.MONGODB_URI;
  if (!base) {
    const cause = process.env.FERRETDB_START_ERROR;
    throw new Error(
      'MONGODB_URI is not set, so the Mongo suite cannot run (it never skips). The jest global setup starts FerretDB '
        + '(test/support/global-setup.ts) unless MONGODB_URI points at a real MongoDB'
        + (cause ? `; starting FerretDB failed: ${cause}` : '; run the tests through `npm test` so the global setup runs.'),
    );
  }
  if (!DB_NAME.test(dbName)) throw new Error(`mongoTestUri: invalid database name ${JSON.stringify(dbName)}`);
  const match = URI_SHAPE.exec(base);
  if (!match) throw new Error(`MONGODB_URI is not a mongodb:// or mongodb+srv:// URI: ${base.replace(/\/\/[^@/]*@/, '//***@')}`);
  const [, scheme = '', hosts = '', originalDb = '', query = ''] = match;
  const params = new URLSearchParams(query);
  if (hosts.includes('@') && !params.has('authSource')) params.set('authSource', decodeURIComponent(originalDb) || 'admin');
  const search = params.toString();
  return `${scheme}${hosts}/${dbName}${search ? `?${search}` : ''}`;
}
