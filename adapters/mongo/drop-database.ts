// Drops the database named in a MongoDB URI: cleanup for the contract suite's throwaway databases.
import mongoose from 'mongoose';

export async function dropMongoDatabase(uri: string): Promise<void> {
  const connection = mongoose.createConnection(uri, { autoIndex: false, autoCreate: false, bufferCommands: false });
  try {
    await connection.asPromise();
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
}
