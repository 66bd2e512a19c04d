import type { AccessPolicy } from '../domain/access-policy.js';
import type { AccessDecision } from '../domain/read-windows.js';

/**
 * The access provider contract: who may read which channel, and from which
 * time ranges. Implementations fail closed by throwing
 * AccessUnavailableError; they never return a guess.
 */
export interface AccessProvider {
  /**
   * Decides for one user and channel. `knownPolicy` is the channel's policy
   * when the caller already read the channel, which saves the built-in
   * provider a read; other providers ignore it.
   */
  canReadChannel(userId: string, channelId: string, knownPolicy?: AccessPolicy): Promise<AccessDecision>;
}
