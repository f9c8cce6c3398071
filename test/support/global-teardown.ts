// Jest global teardown: stops the FerretDB the global setup started (a caller-provided MONGODB_URI is left alone).
export default async function globalTeardown(): Promise<void> {
  const ferretdb = globalThis.__FERRETDB__;
  globalThis.__FERRETDB__ = undefined;
  if (ferretdb) await ferretdb.stop();
}
