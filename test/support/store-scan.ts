// Scans EVERY table of the SQLite file (from sqlite_master) or EVERY collection of the Mongo database (from
// listCollections) for given strings: after an erasure none of the member's must remain, in tables that exist
// today or that later features add (no list to keep up to date).
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mongoose from 'mongoose';
import type { TestServer } from './test-server.ts';

export interface ScanHit {
  /** `table` or `collection`, and the row's primary key or _id as far as known. */
  where: string;
  needle: string;
  /** The start of the value that holds it, to read in a failure message. */
  excerpt: string;
}

/**
 * The one row an erasure leaves naming the member: its own announcement, the outbox's member.deleted event, whose
 * member id is how the program's webhook receivers and warehouse know whom to erase (issue 18); it holds nothing else.
 */
export function besidesTheAnnouncement(hits: readonly ScanHit[]): ScanHit[] {
  return hits.filter((hit) => !(/^events\b/.test(hit.where) && hit.excerpt.includes('"type":"member.deleted"')));
}

function hitsIn(where: string, text: string, needles: readonly string[]): ScanHit[] {
  const lower = text.toLowerCase();
  return needles.filter((needle) => lower.includes(needle.toLowerCase())).map((needle) => {
    const at = lower.indexOf(needle.toLowerCase());
    return { where, needle, excerpt: text.slice(Math.max(0, at - 80), at + needle.length + 80) };
  });
}

function scanSqlite(dataDir: string, needles: readonly string[]): ScanHit[] {
  // A second, read-only connection: WAL lets it read what the server committed while the server keeps running.
  const db = new DatabaseSync(join(dataDir, 'idp.sqlite'), { readOnly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all().map((row) => String(row.name));
    const hits: ScanHit[] = [];
    for (const table of tables) {
      for (const row of db.prepare(`SELECT * FROM "${table}"`).all()) {
        const text = JSON.stringify(row, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : typeof value === 'bigint' ? String(value) : value));
        hits.push(...hitsIn(table, text, needles));
      }
    }
    return hits;
  } finally {
    db.close();
  }
}

async function scanMongo(uri: string, needles: readonly string[]): Promise<ScanHit[]> {
  const connection = mongoose.createConnection(uri, { autoIndex: false, autoCreate: false, bufferCommands: false });
  try {
    await connection.asPromise();
    const db = connection.db;
    if (!db) throw new Error('no Mongo database');
    const hits: ScanHit[] = [];
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      for (const doc of await db.collection(name).find({}).toArray()) hits.push(...hitsIn(`${name} ${String(doc._id)}`, JSON.stringify(doc), needles));
    }
    return hits;
  } finally {
    await connection.close();
  }
}

/** Every place (table row or document) of the server's store that contains one of `needles` (case-insensitive). */
export async function scanStore(server: TestServer, needles: readonly string[]): Promise<ScanHit[]> {
  const { config, storage } = server.container;
  if (storage.kind === 'mongo') return scanMongo(config.mongodbUri!, needles);
  return scanSqlite(config.dataDir, needles);
}
