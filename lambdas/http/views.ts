import type { StoredChannel } from '../adapters/channel-store.js';
import { decisionToJson, type AccessDecision } from '../domain/read-windows.js';

/** Builds a channel as readers see it: no policy or publisher list, plus the caller's decision. */
export function readerChannelView(channel: StoredChannel, decision: AccessDecision) {
  return {
    id: channel.channel_id,
    title: channel.title,
    description: channel.description,
    last_seq: channel.last_seq,
    access: decisionToJson(decision),
  };
}

/** Builds a channel as admins see it, with its settings. */
export function adminChannelView(channel: StoredChannel) {
  return {
    id: channel.channel_id,
    title: channel.title,
    description: channel.description,
    access_policy: channel.access_policy,
    publisher_ids: channel.publisher_ids,
    last_seq: channel.last_seq,
    created_at: channel.created_at,
    updated_at: channel.updated_at,
    version: channel.version,
  };
}
