import {
  AUDIT_BY_ACTOR_INDEX,
  MESSAGES_BY_CREATED_AT_INDEX,
  POSTS_BY_PUBLISHED_AT_INDEX,
  TOPICS_BY_ACTIVITY_INDEX,
  type TableId,
} from './table-definitions.js';

/**
 * HTTP API routes shared by the CDK stack and the local gateway. Each route
 * has its own handler module `lambdas/handlers/<handler>.ts` (exporting
 * `handler`) and the table grants its function needs, nothing more.
 */
export interface RouteDefinition {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway route path, with `{name}` path parameters. */
  readonly path: string;
  /** File name under lambdas/handlers, without extension. */
  readonly handler: string;
  readonly reads: readonly TableId[];
  readonly writes: readonly TableId[];
  /**
   * Secondary indexes the route queries. Query on an index is authorized on
   * the index ARN, so the function gets these index ARNs and no others. Each
   * index's table must be in `reads`.
   * @default none
   */
  readonly queries?: readonly IndexQuery[];
  /** Lambda timeout; writes get longer because they retry lost races on a busy channel. */
  readonly timeoutSeconds: number;
  /**
   * Media bucket access: `read` (HeadObject, and signing download URLs),
   * `write` (signing upload URLs), `delete` (removing a deleted post's objects).
   * @default none
   */
  readonly media?: readonly MediaAccess[];
  /**
   * Route-level throttling on the HTTP API stage, tighter than the stage's
   * default for routes that write or cost more.
   * @default the stage's limits
   */
  readonly throttle?: RouteThrottle;
}

/** One secondary index that a route queries. */
export interface IndexQuery {
  readonly table: TableId;
  readonly indexName: string;
}

/** Steady-state requests per second and burst, for the whole route (all callers). */
export interface RouteThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Admin configuration changes: a person at a console, not a program. */
const ADMIN_CHANGE_THROTTLE: RouteThrottle = { rateLimit: 10, burstLimit: 20 };
/** Publishing and importing: bursts from import scripts, bounded by the per-channel counter anyway. */
const PUBLISH_THROTTLE: RouteThrottle = { rateLimit: 50, burstLimit: 100 };

export type MediaAccess = 'read' | 'write' | 'delete';

/** Reads finish in a few DynamoDB calls and one provider call (1 s timeout). */
const READ_TIMEOUT_SECONDS = 10;
/** Just under the HTTP API's 30 s integration timeout, so contention is retried rather than cut off. */
const WRITE_TIMEOUT_SECONDS = 28;

/** Tables the access check reads: the channel (policy) and the periods. */
const ACCESS_READS: readonly TableId[] = ['channels', 'access'];
/** A forum's access check: the forum, then its linked channel's decision. */
const FORUM_ACCESS_READS: readonly TableId[] = ['forums', ...ACCESS_READS];
/** Posting a message: the topic (counter, lock, slow mode) and the user's posting state (mute, slow mode, rate limit). */
const MESSAGE_WRITE_TABLES: readonly TableId[] = ['topics', 'messages', 'idempotency', 'posting_state'];

export const ROUTES: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/mobile/channels',
    handler: 'list-channels',
    reads: ACCESS_READS,
    writes: [],
    timeoutSeconds: READ_TIMEOUT_SECONDS,
  },
  {
    method: 'GET',
    path: '/api/mobile/channels/{channelId}',
    handler: 'get-channel',
    reads: ACCESS_READS,
    writes: [],
    timeoutSeconds: READ_TIMEOUT_SECONDS,
  },
  {
    method: 'GET',
    path: '/api/mobile/channels/{channelId}/posts',
    handler: 'list-posts',
    reads: [...ACCESS_READS, 'posts'],
    writes: [],
    // Feed paging turns a read window's edges into seqs through the time index.
    queries: [{ table: 'posts', indexName: POSTS_BY_PUBLISHED_AT_INDEX }],
    timeoutSeconds: READ_TIMEOUT_SECONDS,
  },
  {
    method: 'GET',
    path: '/api/mobile/channels/{channelId}/posts/{postId}',
    handler: 'get-post',
    reads: [...ACCESS_READS, 'posts'],
    writes: [],
    timeoutSeconds: READ_TIMEOUT_SECONDS,
  },
  {
    method: 'POST',
    path: '/api/admin/channels',
    handler: 'create-channel',
    reads: ['idempotency'],
    writes: ['channels', 'idempotency', 'audit'],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'PATCH',
    path: '/api/admin/channels/{channelId}',
    handler: 'update-channel',
    // Connections: live subscriptions get their decisions expired when access settings change.
    reads: ['channels', 'connections'],
    writes: ['channels', 'audit', 'connections'],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'POST',
    path: '/api/admin/channels/{channelId}/posts',
    handler: 'publish-post',
    reads: ['channels', 'idempotency', 'attachments'],
    writes: ['channels', 'posts', 'idempotency', 'audit', 'attachments'],
    media: ['read'],
    throttle: PUBLISH_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'POST',
    path: '/api/admin/channels/{channelId}/posts/import',
    handler: 'import-post',
    reads: ['channels', 'idempotency', 'attachments'],
    writes: ['channels', 'posts', 'idempotency', 'audit', 'attachments'],
    media: ['read'],
    throttle: PUBLISH_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'PATCH',
    path: '/api/admin/channels/{channelId}/posts/{postId}',
    handler: 'edit-post',
    reads: ['channels', 'posts'],
    writes: ['posts', 'audit'],
    throttle: PUBLISH_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'DELETE',
    path: '/api/admin/channels/{channelId}/posts/{postId}',
    handler: 'delete-post',
    reads: ['channels', 'posts'],
    writes: ['posts', 'audit'],
    media: ['delete'],
    throttle: PUBLISH_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'PUT',
    path: '/api/admin/access/{channelId}/users/{userId}',
    handler: 'put-access-periods',
    // Connections: the user's live subscriptions get their decisions expired.
    reads: ['channels', 'connections'],
    writes: ['access', 'audit', 'connections'],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'POST',
    path: '/api/admin/channels/{channelId}/uploads',
    handler: 'create-upload',
    reads: ['channels', 'idempotency'],
    writes: ['idempotency', 'audit'],
    media: ['write'],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'POST',
    path: '/api/mobile/channels/{channelId}/posts/{postId}/attachments/{attachmentId}/url',
    handler: 'get-attachment-url',
    reads: [...ACCESS_READS, 'posts'],
    writes: [],
    media: ['read'],
    timeoutSeconds: READ_TIMEOUT_SECONDS,
  },
  {
    method: 'GET',
    path: '/api/admin/audit',
    handler: 'list-audit',
    reads: ['audit'],
    writes: [],
    // A filter by actor without a target.
    queries: [{ table: 'audit', indexName: AUDIT_BY_ACTOR_INDEX }],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: READ_TIMEOUT_SECONDS,
  },
  {
    method: 'POST',
    path: '/api/admin/forums',
    handler: 'create-forum',
    // Channels: a linked channel must exist.
    reads: ['channels', 'idempotency'],
    writes: ['forums', 'idempotency', 'audit'],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'GET',
    path: '/api/mobile/forums',
    handler: 'list-forums',
    reads: FORUM_ACCESS_READS,
    writes: [],
    timeoutSeconds: READ_TIMEOUT_SECONDS,
  },
  {
    method: 'GET',
    path: '/api/mobile/forums/{forumId}/topics',
    handler: 'list-topics',
    reads: [...FORUM_ACCESS_READS, 'topics'],
    writes: [],
    // A forum's topics, pinned first and then by latest activity.
    queries: [{ table: 'topics', indexName: TOPICS_BY_ACTIVITY_INDEX }],
    timeoutSeconds: READ_TIMEOUT_SECONDS,
  },
  {
    method: 'POST',
    path: '/api/mobile/forums/{forumId}/topics',
    handler: 'create-topic',
    // Posts: a topic that discusses a channel post checks the post exists and is readable.
    reads: [...FORUM_ACCESS_READS, 'posts', ...MESSAGE_WRITE_TABLES],
    writes: MESSAGE_WRITE_TABLES,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'GET',
    path: '/api/mobile/topics/{topicId}',
    handler: 'get-topic',
    reads: [...FORUM_ACCESS_READS, 'topics'],
    writes: [],
    timeoutSeconds: READ_TIMEOUT_SECONDS,
  },
  {
    method: 'GET',
    path: '/api/mobile/topics/{topicId}/messages',
    handler: 'list-messages',
    reads: [...FORUM_ACCESS_READS, 'topics', 'messages'],
    writes: [],
    queries: [{ table: 'messages', indexName: MESSAGES_BY_CREATED_AT_INDEX }],
    timeoutSeconds: READ_TIMEOUT_SECONDS,
  },
  {
    method: 'POST',
    path: '/api/mobile/topics/{topicId}/messages',
    handler: 'post-message',
    reads: [...FORUM_ACCESS_READS, ...MESSAGE_WRITE_TABLES],
    writes: MESSAGE_WRITE_TABLES,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'PATCH',
    path: '/api/mobile/topics/{topicId}/messages/{messageId}',
    handler: 'edit-message',
    // Posting state: an edit counts against the rate limit.
    reads: [...FORUM_ACCESS_READS, 'topics', 'messages', 'posting_state'],
    writes: ['messages', 'posting_state'],
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'DELETE',
    path: '/api/mobile/topics/{topicId}/messages/{messageId}',
    handler: 'delete-message',
    // Topics: the message count goes down. Audit: a moderator's delete is recorded.
    reads: ['topics', 'messages'],
    writes: ['topics', 'messages', 'audit'],
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'PUT',
    path: '/api/admin/topics/{topicId}/lock',
    handler: 'lock-topic',
    reads: ['topics'],
    writes: ['topics', 'audit'],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'PUT',
    path: '/api/admin/topics/{topicId}/pin',
    handler: 'pin-topic',
    reads: ['topics'],
    writes: ['topics', 'audit'],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'PUT',
    path: '/api/admin/topics/{topicId}/slow-mode',
    handler: 'set-slow-mode',
    reads: ['topics'],
    writes: ['topics', 'audit'],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'PUT',
    path: '/api/admin/forums/{forumId}/mutes/{userId}',
    handler: 'mute-user',
    reads: ['forums', 'posting_state'],
    writes: ['posting_state', 'audit'],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
  {
    method: 'DELETE',
    path: '/api/admin/forums/{forumId}/mutes/{userId}',
    handler: 'unmute-user',
    reads: ['forums', 'posting_state'],
    writes: ['posting_state', 'audit'],
    throttle: ADMIN_CHANGE_THROTTLE,
    timeoutSeconds: WRITE_TIMEOUT_SECONDS,
  },
];
