import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Change } from '../domain/deltas.js';

/**
 * The destination of integration events for the platform: post published,
 * updated and deleted, message created, updated and deleted, topic updated.
 * The detail type is the delta's type.
 */
export interface IntegrationEvents {
  /** Publishes one event per change; throws when any entry failed, so the stream record is retried. */
  publish(changes: readonly Change[]): Promise<void>;
}

/** Event source name on the bus; platform rules match on it. */
export const EVENT_SOURCE = 'comm.layer';
/** PutEvents accepts at most 10 entries per call. */
const PUT_EVENTS_BATCH = 10;

/** Builds the event body: identifiers and the dedupe key, never content. */
export function integrationEventDetail(change: Change): Record<string, unknown> {
  return { ...change.delta, version: change.version, dedupe_key: change.dedupeKey };
}

export class EventBridgeIntegrationEvents implements IntegrationEvents {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(changes: readonly Change[]): Promise<void> {
    for (let start = 0; start < changes.length; start += PUT_EVENTS_BATCH) {
      const entries: PutEventsRequestEntry[] = changes.slice(start, start + PUT_EVENTS_BATCH).map((change) => ({
        EventBusName: this.busName,
        Source: EVENT_SOURCE,
        DetailType: change.delta.type,
        Detail: JSON.stringify(integrationEventDetail(change)),
      }));
      const result = await this.client.send(new PutEventsCommand({ Entries: entries }));
      if ((result.FailedEntryCount ?? 0) > 0) {
        const codes = (result.Entries ?? []).map((entry) => entry.ErrorCode).filter(Boolean);
        throw new Error(`EventBridge rejected ${result.FailedEntryCount} of ${entries.length} events: ${codes.join(', ')}`);
      }
    }
  }
}

/** Keeps events in memory; the local stack and tests read them. */
export class InMemoryIntegrationEvents implements IntegrationEvents {
  readonly events: { detailType: string; detail: Record<string, unknown> }[] = [];

  async publish(changes: readonly Change[]): Promise<void> {
    for (const change of changes) this.events.push({ detailType: change.delta.type, detail: integrationEventDetail(change) });
  }
}
