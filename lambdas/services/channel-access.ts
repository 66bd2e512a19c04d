import { accessProviderFor } from '../access/provider-for.js';
import type { App } from '../app.js';
import type { StoredChannel } from '../adapters/channel-store.js';
import { AccessUnavailableError, ForbiddenError } from '../domain/errors.js';
import type { Caller } from '../domain/identity.js';
import type { AccessDecision } from '../domain/read-windows.js';

/** Staff decisions are recomputed as often as the built-in provider's. */
const STAFF_DECISION_LIFETIME_MS = 30_000;

/** True when the caller may publish, import, edit and delete in the channel. */
export function canPublish(caller: Caller, channel: StoredChannel): boolean {
  return caller.isAdmin || channel.publisher_ids.includes(caller.userId);
}

export function assertCanPublish(caller: Caller, channel: StoredChannel): void {
  if (!canPublish(caller, channel)) {
    throw new ForbiddenError(`Only admins and this channel's publishers may change channel ${channel.channel_id}`);
  }
}

/**
 * Returns the caller's read decision for a channel. Admins and the
 * channel's publishers read everything they can write; everyone else is
 * decided by the access provider, which throws AccessUnavailableError when
 * it cannot decide.
 */
export async function readDecision(app: App, caller: Caller, channel: StoredChannel): Promise<AccessDecision> {
  if (canPublish(caller, channel)) {
    app.metrics.count('AccessDecisions', 1, { Mode: 'FULL', Provider: 'staff' });
    return { mode: 'FULL', validUntil: app.clock() + STAFF_DECISION_LIFETIME_MS };
  }

  const providerKind = app.config.accessProvider.kind;
  try {
    const provider = await accessProviderFor(app);
    const decision = await provider.canReadChannel(caller.userId, channel.channel_id, channel.access_policy);
    app.metrics.count('AccessDecisions', 1, { Mode: decision.mode, Provider: providerKind });
    return decision;
  } catch (error) {
    if (error instanceof AccessUnavailableError) app.metrics.count('AccessProviderFailures', 1, { Provider: providerKind });
    throw error;
  }
}
