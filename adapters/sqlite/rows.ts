// Typed readers for node:sqlite result rows, so a schema drift fails loudly instead of leaking `unknown`.
import type { SQLOutputValue } from 'node:sqlite';

export type Row = Record<string, SQLOutputValue>;

export function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new TypeError(`column ${column}: expected text, got ${typeof value}`);
  return value;
}

export function textOrNull(row: Row, column: string): string | null {
  const value = row[column];
  return value === null || value === undefined ? null : text(row, column);
}

export function integer(row: Row, column: string): number {
  const value = row[column];
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'number') throw new TypeError(`column ${column}: expected integer, got ${typeof value}`);
  return value;
}

export function integerOrNull(row: Row, column: string): number | null {
  const value = row[column];
  return value === null || value === undefined ? null : integer(row, column);
}

export function dateOrNull(row: Row, column: string): Date | null {
  const ms = integerOrNull(row, column);
  return ms === null ? null : new Date(ms);
}

export function date(row: Row, column: string): Date {
  return new Date(integer(row, column));
}

/** Parses a JSON text column holding an object (metadata, JWKs, payloads). */
export function jsonObject(row: Row, column: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(text(row, column));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError(`column ${column}: expected a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
