// Fresh MongoDB databases for one test file (each call its own, all dropped after the file), plus raw access to them.
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { openMongoStorage } from '../../adapters/mongo/index.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { allowFerretDbTime } from './ferretdb-timeout.ts';
import { mongoTestUri } from './mongo-uri.ts';

/** A document as stored, with the adapter's string _ids. */
export interface RawDoc {
  _id: string;
  [field: string]: unknown;
}

export interface MongoDatabases {
  /** The URI of a new, empty database. */
  freshUri(): string;
  /**
   * A store on a fresh database plus a plain connection to it, to write documents behind the adapter's
   * back (old shapes, crash leftovers); both closed after `work`.
   */
  withRawAccess(work: (storage: Storage, raw: mongoose.Connection) => Promise<void>): Promise<void>;
  /** Two stores on one fresh database, as two app instances open it; both closed after `work`. */
  withTwoInstances(work: (a: Storage, b: Storage) => Promise<void>): Promise<void>;
}

/** Call at the top of a test file: databases are named `<name>_<random>_<n>`, unique per file and run. */
export function useMongoDatabases(name: string): MongoDatabases {
  const prefix = `${name}_${randomBytes(4).toString('hex')}`;
  mongoTestUri(prefix); // fails the file loudly (never skips) when no MongoDB was provided
  allowFerretDbTime();
  const used: string[] = [];
  let counter = 0;
  afterAll(async () => {
    for (const uri of used) await dropMongoDatabase(uri);
  });

  function freshUri(): string {
    const uri = mongoTestUri(`${prefix}_${counter++}`);
    used.push(uri);
    return uri;
  }

  return {
    freshUri,
    async withRawAccess(work) {
      const uri = freshUri();
      const storage = await openMongoStorage({ uri });
      const raw = mongoose.createConnection(uri, { autoIndex: false, autoCreate: false, bufferCommands: false });
      try {
        await raw.asPromise();
        await work(storage, raw);
      } finally {
        await raw.close();
        await storage.close();
      }
    },
    async withTwoInstances(work) {
      const uri = freshUri();
      const [a, b] = await Promise.all([openMongoStorage({ uri }), openMongoStorage({ uri })]);
      try {
        await work(a, b);
      } finally {
        await a.close();
        await b.close();
      }
    },
  };
}
