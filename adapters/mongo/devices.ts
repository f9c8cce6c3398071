// Mongo known devices: the first sighting is a unique insert (atomic on FerretDB 1.24 too), later ones refresh it.
import type { Model } from 'mongoose';
import type { DeviceSighting, DevicesRepository, KnownDevice } from '../../server/domain/devices/devices.repository.ts';
import { insertUnique, pairId } from './claims.ts';
import type { KnownDeviceDoc } from './device-models.ts';

function toDevice({ _id: _pair, ...device }: KnownDeviceDoc): KnownDevice {
  return device;
}

export class MongoDevicesRepository implements DevicesRepository {
  private readonly devices: Model<KnownDeviceDoc>;

  constructor(devices: Model<KnownDeviceDoc>) {
    this.devices = devices;
  }

  async record(accountId: string, deviceHash: string, seen: DeviceSighting): Promise<{ known: boolean }> {
    const _id = pairId(accountId, deviceHash);
    const fields = { lastIp: seen.ip, lastCountry: seen.country, userAgent: seen.userAgent };
    const inserted = await insertUnique(this.devices, { _id, accountId, deviceHash, firstSeenAt: seen.at, lastSeenAt: seen.at, ...fields });
    if (inserted) return { known: false };
    // Informational fields only: a lost race between two refreshes leaves one of two true sightings.
    // The filter keeps a sighting older than the last one (clock skew between instances) from moving it back.
    await this.devices.updateOne({ _id, lastSeenAt: { $lte: seen.at } }, { $set: { lastSeenAt: seen.at, ...fields } }).exec();
    return { known: true };
  }

  async find(accountId: string, deviceHash: string): Promise<KnownDevice | undefined> {
    const doc = await this.devices.findById(pairId(accountId, deviceHash)).lean<KnownDeviceDoc>().exec();
    return doc ? toDevice(doc) : undefined;
  }

  async listByAccount(accountId: string, limit: number): Promise<KnownDevice[]> {
    const docs = await this.devices.find({ accountId }).sort({ lastSeenAt: -1, deviceHash: 1 }).limit(limit).lean<KnownDeviceDoc[]>().exec();
    return docs.map(toDevice);
  }

  async delete(accountId: string, deviceHash: string): Promise<boolean> {
    return (await this.devices.deleteOne({ _id: pairId(accountId, deviceHash) }).exec()).deletedCount > 0;
  }

  async deleteByAccount(accountId: string): Promise<number> {
    return (await this.devices.deleteMany({ accountId }).exec()).deletedCount;
  }
}
