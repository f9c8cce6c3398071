// Jest global setup: gives every worker a MongoDB for the Mongo suites (FerretDB unless MONGODB_URI is set).
import { startFerretDb, type RunningFerretDb } from './ferretdb.ts';

declare global {
  // Read back by global-teardown.ts, which runs in the same process.
  var __FERRETDB__: RunningFerretDb | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) return; // a real MongoDB chosen by the caller: use it as is
  try {
    const ferretdb = await startFerretDb();
    globalThis.__FERRETDB__ = ferretdb;
    // Workers are spawned after this and inherit the environment.
    process.env.MONGODB_URI = ferretdb.uri;
  } catch (error) {
    // Not fatal for runs that never touch Mongo; Mongo suites fail loudly through mongoTestUri().
    process.env.FERRETDB_START_ERROR = error instanceof Error ? error.message : String(error);
    process.stderr.write(`warning: FerretDB could not start; Mongo suites will fail: ${process.env.FERRETDB_START_ERROR}\n`);
  }
}
