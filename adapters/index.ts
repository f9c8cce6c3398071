// Storage selection: MongoDB when a URI is configured, otherwise the embedded SQLite file in DATA_DIR.
import type { Storage } from '../server/domain/storage.ts';

export interface StorageOptions {
  dataDir: string;
  mongodbUri?: string | undefined;
  /** Seals client secrets at rest; the server passes a key derived from KEY_ENCRYPTION_KEY. */
  clientSecretKey?: Buffer | undefined;
}

export async function openStorage(options: StorageOptions): Promise<Storage> {
  // Loaded on demand: an SQLite deployment never loads the MongoDB driver, and vice versa.
  if (options.mongodbUri) {
    const { openMongoStorage } = await import('./mongo/index.ts');
    return openMongoStorage({ uri: options.mongodbUri, clientSecretKey: options.clientSecretKey });
  }
  const { openSqliteStorage } = await import('./sqlite/index.ts');
  return openSqliteStorage({ dataDir: options.dataDir, clientSecretKey: options.clientSecretKey });
}
