// Mongo side of member merges (issue 21): a pending merge record first, then idempotent single-document steps.
import type { Connection } from 'mongoose';
import type { ApplyResult, MergePlan, MergeRecord, MergesRepository } from '../../server/domain/merge/merges.repository.ts';
import type { MongoLoyaltyRepository } from './loyalty.ts';

export class MongoMergesRepository implements MergesRepository {
  private readonly connection: Connection;
  private readonly loyalty: MongoLoyaltyRepository;

  private constructor(connection: Connection, loyalty: MongoLoyaltyRepository) {
    this.connection = connection;
    this.loyalty = loyalty;
  }

  static async open(connection: Connection, loyalty: MongoLoyaltyRepository): Promise<MongoMergesRepository> {
    return new MongoMergesRepository(connection, loyalty);
  }

  async apply(plan: MergePlan): Promise<ApplyResult> {
    void this.connection;
    void this.loyalty;
    throw new Error(`merge ${plan.id}: not on MongoDB yet`);
  }

  async findByAbsorbed(): Promise<MergeRecord | undefined> {
    return undefined;
  }

  async findByRequestKey(): Promise<MergeRecord | undefined> {
    return undefined;
  }

  async listBySurvivor(): Promise<MergeRecord[]> {
    return [];
  }

  async findSubjectRedirect(): Promise<string | undefined> {
    return undefined;
  }

  async sweepExpiredRedirects(): Promise<number> {
    return 0;
  }

  async listPending(): Promise<MergeRecord[]> {
    return [];
  }
}
