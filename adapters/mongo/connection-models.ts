// Mongo model of connections (upstream identity providers): settings kept as opaque JSON text.
import { Schema, type Connection, type Model } from 'mongoose';
import { givenString, options } from './schema-kit.ts';

/**
 * Settings are JSON text, not a subdocument: claim mappings name our profile fields with dots
 * (`address.postal_code`), which design §4 keeps out of Mongo field names.
 */
export interface ConnectionDoc {
  _id: string;
  kind: string;
  name: string;
  settings: string;
  createdAt: Date;
  updatedAt: Date;
}

const connectionSchema = new Schema<ConnectionDoc>(
  {
    _id: givenString('_id'),
    kind: givenString('kind'),
    name: givenString('name'),
    settings: givenString('settings'),
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  options,
);

export interface ConnectionModels {
  connections: Model<ConnectionDoc>;
}

export function registerConnectionModels(connection: Connection): ConnectionModels {
  return { connections: connection.model<ConnectionDoc>('UpstreamConnection', connectionSchema, 'connections') };
}
