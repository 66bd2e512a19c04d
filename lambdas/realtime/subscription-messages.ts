import { InvalidRequestError } from '../domain/errors.js';
import type { SubscriptionTarget } from '../domain/subscriptions.js';
import { subscribeTopicMessageSchema, unsubscribeTopicMessageSchema } from '../http/forum-schemas.js';
import { parseInput } from '../http/request.js';
import { subscribeMessageSchema, unsubscribeMessageSchema } from '../http/schemas.js';
import { parseMessageBody, type WebSocketEvent } from './websocket.js';

/**
 * Parses `{"action":"subscribe","channel_id"|"topic_id","after_seq"?}`.
 * Exactly one of the ids must be present; the error names the field.
 */
export function parseSubscribeMessage(event: WebSocketEvent): SubscriptionTarget {
  const body = parseMessageBody(event);
  if (targetKindOf(body) === 'topic') return { kind: 'topic', id: parseInput(subscribeTopicMessageSchema, body, 'body').topic_id };
  return { kind: 'channel', id: parseInput(subscribeMessageSchema, body, 'body').channel_id };
}

/** Parses `{"action":"unsubscribe","channel_id"|"topic_id"}` with the same rule. */
export function parseUnsubscribeMessage(event: WebSocketEvent): SubscriptionTarget {
  const body = parseMessageBody(event);
  if (targetKindOf(body) === 'topic') return { kind: 'topic', id: parseInput(unsubscribeTopicMessageSchema, body, 'body').topic_id };
  return { kind: 'channel', id: parseInput(unsubscribeMessageSchema, body, 'body').channel_id };
}

/**
 * Picks the schema by the id the message carries. A body that is not an
 * object goes to the channel schema, whose error names `body`.
 */
function targetKindOf(body: unknown): SubscriptionTarget['kind'] {
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (!isObject) return 'channel';

  const hasChannel = 'channel_id' in body;
  const hasTopic = 'topic_id' in body;
  if (hasChannel && hasTopic) throw new InvalidRequestError('topic_id', 'cannot be sent with channel_id: send one channel or one topic per message');
  if (!hasChannel && !hasTopic) throw new InvalidRequestError('channel_id', 'is missing: send channel_id to follow a channel or topic_id to follow a topic');
  return hasTopic ? 'topic' : 'channel';
}
