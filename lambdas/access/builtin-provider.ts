import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decideFromPeriods, type AccessPolicy } from '../domain/access-policy.js';
import type { AccessDecision } from '../domain/read-windows.js';
import { getChannel } from '../adapters/channel-store.js';
import { getPeriods } from '../adapters/access-store.js';
import type { TableNames } from '../config.js';
import type { AccessProvider } from './provider.js';

/**
 * Provider backed by the access table: subscription periods written by
 * admins, turned into windows with the channel's access policy. A missing
 * channel or a user without periods is denied.
 */
export class BuiltinAccessProvider implements AccessProvider {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
    private readonly clock: () => number,
  ) {}

  async canReadChannel(userId: string, channelId: string, knownPolicy?: AccessPolicy): Promise<AccessDecision> {
    const [policy, periods] = await Promise.all([
      knownPolicy ?? getChannel(this.db, this.tables, channelId).then((channel) => channel?.access_policy),
      getPeriods(this.db, this.tables, channelId, userId),
    ]);
    const now = this.clock();
    if (!policy) return { mode: 'DENY', validUntil: now };

    return decideFromPeriods(periods, policy, now);
  }
}
