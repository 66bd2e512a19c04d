/**
 * DynamoDB table definitions shared by the CDK stack and the local stack, so
 * both create the same keys, indexes and streams. Plain data on purpose: the
 * local stack turns it into CreateTable calls without loading aws-cdk-lib.
 */

export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** KEYS_ONLY keeps edge lookups at the minimum item size. */
  readonly projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableDefinition {
  /** Stable logical name; also the suffix of the deployed table name. */
  readonly id: TableId;
  /** Environment variable that carries the physical table name to handlers. */
  readonly envVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly localIndexes?: readonly IndexDefinition[];
  readonly globalIndexes?: readonly IndexDefinition[];
  /** Content tables publish NEW_AND_OLD_IMAGES so the stream is the outbox. */
  readonly stream?: 'NEW_AND_OLD_IMAGES';
  /** Epoch-seconds attribute DynamoDB TTL sweeps; readers still check expiry. */
  readonly timeToLiveAttribute?: string;
}

export type TableId =
  | 'channels'
  | 'posts'
  | 'idempotency'
  | 'audit'
  | 'access'
  | 'connections'
  | 'attachments'
  | 'forums'
  | 'topics'
  | 'messages'
  | 'posting_state';

export const POSTS_BY_PUBLISHED_AT_INDEX = 'by_published_at';
export const AUDIT_BY_ACTOR_INDEX = 'by_actor';
export const CONNECTIONS_BY_CONNECTION_INDEX = 'by_connection';
export const TOPICS_BY_ACTIVITY_INDEX = 'by_activity';
export const MESSAGES_BY_CREATED_AT_INDEX = 'by_created_at';

export const TABLES: readonly TableDefinition[] = [
  {
    // One item per channel, which also stores the sequence counter (last_seq).
    id: 'channels',
    envVar: 'CHANNELS_TABLE',
    partitionKey: { name: 'channel_id', type: 'S' },
    stream: 'NEW_AND_OLD_IMAGES',
  },
  {
    id: 'posts',
    envVar: 'POSTS_TABLE',
    partitionKey: { name: 'channel_id', type: 'S' },
    sortKey: { name: 'seq', type: 'N' },
    // A local index is strongly consistent, so turning a window edge into a
    // seq never misses a post that was just committed. The sort key is
    // `published_at#seq` so posts sharing a timestamp still sort by seq.
    localIndexes: [
      {
        indexName: POSTS_BY_PUBLISHED_AT_INDEX,
        partitionKey: { name: 'channel_id', type: 'S' },
        sortKey: { name: 'published_key', type: 'S' },
        projection: 'KEYS_ONLY',
      },
    ],
    stream: 'NEW_AND_OLD_IMAGES',
  },
  {
    id: 'idempotency',
    envVar: 'IDEMPOTENCY_TABLE',
    partitionKey: { name: 'record_id', type: 'S' },
    timeToLiveAttribute: 'expires_at_epoch',
  },
  {
    id: 'audit',
    envVar: 'AUDIT_TABLE',
    partitionKey: { name: 'target', type: 'S' },
    sortKey: { name: 'recorded_key', type: 'S' },
    globalIndexes: [
      {
        indexName: AUDIT_BY_ACTOR_INDEX,
        partitionKey: { name: 'actor_id', type: 'S' },
        sortKey: { name: 'recorded_key', type: 'S' },
        projection: 'ALL',
      },
    ],
  },
  {
    // Subscription periods of the built-in access provider.
    id: 'access',
    envVar: 'ACCESS_TABLE',
    partitionKey: { name: 'channel_id', type: 'S' },
    sortKey: { name: 'user_id', type: 'S' },
  },
  {
    // One item per attachment a post has claimed, so an upload is attached
    // to one post only and deleting that post cannot break another.
    id: 'attachments',
    envVar: 'ATTACHMENTS_TABLE',
    partitionKey: { name: 'attachment_id', type: 'S' },
  },
  {
    // WebSocket connections (`connection#<id>`) and subscriptions
    // (`channel#<id>` + connection id), so fan-out is one Query per channel.
    id: 'connections',
    envVar: 'CONNECTIONS_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [
      {
        indexName: CONNECTIONS_BY_CONNECTION_INDEX,
        partitionKey: { name: 'connection_id', type: 'S' },
        sortKey: { name: 'pk', type: 'S' },
        projection: 'KEYS_ONLY',
      },
    ],
    // API Gateway closes a connection after 2 hours; its items expire then.
    timeToLiveAttribute: 'expires_at_epoch',
  },
  {
    id: 'forums',
    envVar: 'FORUMS_TABLE',
    partitionKey: { name: 'forum_id', type: 'S' },
  },
  {
    // One item per topic, which also stores the topic's message counter (last_seq).
    id: 'topics',
    envVar: 'TOPICS_TABLE',
    partitionKey: { name: 'topic_id', type: 'S' },
    // A forum's topics, pinned first and then by latest activity:
    // `activity_key` is `<1 pinned | 0>#<last_activity_at>#<topic_id>`.
    globalIndexes: [
      {
        indexName: TOPICS_BY_ACTIVITY_INDEX,
        partitionKey: { name: 'forum_id', type: 'S' },
        sortKey: { name: 'activity_key', type: 'S' },
        projection: 'ALL',
      },
    ],
    // Moderation changes (lock, pin, slow mode) become `topic.updated` deltas.
    stream: 'NEW_AND_OLD_IMAGES',
  },
  {
    id: 'messages',
    envVar: 'MESSAGES_TABLE',
    partitionKey: { name: 'topic_id', type: 'S' },
    sortKey: { name: 'seq', type: 'N' },
    // The same layout as the posts index: `created_key` is `created_at#seq`,
    // so a read window becomes a seq range with strongly consistent reads.
    localIndexes: [
      {
        indexName: MESSAGES_BY_CREATED_AT_INDEX,
        partitionKey: { name: 'topic_id', type: 'S' },
        sortKey: { name: 'created_key', type: 'S' },
        projection: 'KEYS_ONLY',
      },
    ],
    stream: 'NEW_AND_OLD_IMAGES',
  },
  {
    // What limits a user's posting, keyed by user so no partition is shared
    // by everyone: forum mutes (`mute#<forumId>`), the last message per
    // topic for slow mode (`slow#<topicId>`) and the rate-limit window
    // (`rate`). Items expire once they no longer limit anything.
    id: 'posting_state',
    envVar: 'POSTING_STATE_TABLE',
    partitionKey: { name: 'user_id', type: 'S' },
    sortKey: { name: 'scope', type: 'S' },
    timeToLiveAttribute: 'expires_at_epoch',
  },
];

export function tableDefinition(id: TableId): TableDefinition {
  const definition = TABLES.find((table) => table.id === id);
  if (!definition) throw new Error(`Unknown table id "${id}"`);
  return definition;
}
