// Mongo documents of known devices: _id is the (account, device hash) pair, so the first sighting is a unique insert.
import { Schema, type Connection, type Model } from 'mongoose';
import { nullableString, options } from './schema-kit.ts';

export interface KnownDeviceDoc {
  /** pairId(accountId, deviceHash) */
  _id: string;
  accountId: string;
  deviceHash: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  lastIp: string | null;
  lastCountry: string | null;
  userAgent: string | null;
}

const knownDeviceSchema = new Schema<KnownDeviceDoc>({
  _id: { type: String, required: true },
  accountId: { type: String, required: true },
  deviceHash: { type: String, required: true },
  firstSeenAt: { type: Date, required: true },
  lastSeenAt: { type: Date, required: true },
  lastIp: nullableString,
  lastCountry: nullableString,
  userAgent: nullableString,
}, options);

export interface DeviceModels {
  knownDevices: Model<KnownDeviceDoc>;
}

export function registerDeviceModels(connection: Connection): DeviceModels {
  return { knownDevices: connection.model<KnownDeviceDoc>('KnownDevice', knownDeviceSchema, 'known_devices') };
}
