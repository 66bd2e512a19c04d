import type { App } from '../app.js';
import { auditPut, type TransactItem } from '../adapters/audit.js';
import { getForum, getTopic, topicCreatePut, topicMessageAdvance, topicMessageRemoved, topicUnlockedCheck } from '../adapters/forum-store.js';
import { getMessage, messageEditUpdate, messagePut, messageTombstoneUpdate } from '../adapters/message-store.js';
import { getPost } from '../adapters/post-store.js';
import { getPostingState, isMuted, notMutedCheck, rateWindowPut, slowModeStampPut } from '../adapters/posting-state-store.js';
import { ConflictError, ForbiddenError, InvalidRequestError, NotFoundError, RateLimitedError } from '../domain/errors.js';
import {
  activityKey,
  isInsideEditWindow,
  MAX_SLOW_MODE_SECONDS,
  newMessageId,
  newTopicId,
  rateLimitOutcome,
  retryAfterSeconds,
  slowModeWaitMs,
  toMessageView,
  toTopicView,
  type PostReference,
  type StoredForum,
  type StoredMessage,
  type StoredTopic,
} from '../domain/forums.js';
import type { Caller } from '../domain/identity.js';
import { nextPublishedAt, publishedKey, seqOfPostId } from '../domain/posts.js';
import { canReadPostAt, type AccessDecision } from '../domain/read-windows.js';
import { assertCanReadForum, assertCanWriteForum, forumDecision, isForumStaff, readableTopic } from './forum-access.js';
import { transactionalWrite, type WriteResult } from './transactional-write.js';

/** Fields of every forum write: the caller, the idempotency inputs and the deadline. */
interface ForumWrite {
  readonly caller: Caller;
  readonly idempotencyKey?: string;
  /** The parsed request body, hashed for idempotency. */
  readonly payload: unknown;
  /** Real time (epoch ms) after which no new attempt starts. */
  readonly deadline: number;
}

export interface CreateTopicRequest extends ForumWrite {
  readonly forumId: string;
  readonly title: string;
  readonly bodyText: string;
  readonly postId?: string;
}

/**
 * Creates a topic and its first message (seq 1) in one transaction, with
 * the same posting rules as a reply (mute, rate limit) and the caller's
 * idempotency record. Responds `{"topic","message"}`.
 */
export async function createTopic(app: App, request: CreateTopicRequest): Promise<WriteResult> {
  const { caller, forumId } = request;
  const forum = await getForum(app.db, app.config.tables, forumId);
  if (!forum) throw new NotFoundError(`Forum ${forumId} does not exist`);
  const decision = await forumDecision(app, caller, forum);
  assertCanWriteForum(decision, forum, app.clock());
  // Resolved after the idempotency check, so a retry replays even if the post was deleted since.
  let post: Promise<PostReference | null> | undefined;

  const result = await transactionalWrite(app, {
    deadline: request.deadline,
    ...idempotencyOption(request, 'create-topic', forumId),
    prepare: async (now) => {
      post ??= request.postId === undefined ? Promise.resolve(null) : referencedPost(app, forum, decision, request.postId);
      const postReference = await post;
      const postingItems = await postingItemsFor(app, caller, forum, undefined, now);
      const createdAt = new Date(now).toISOString();
      const topicId = newTopicId();
      const topic: StoredTopic = {
        topic_id: topicId,
        forum_id: forumId,
        title: request.title,
        author_id: caller.userId,
        post: postReference,
        pinned: false,
        locked: false,
        slow_mode_seconds: 0,
        last_seq: 1,
        last_created_at: createdAt,
        message_count: 1,
        last_activity_at: createdAt,
        activity_key: activityKey(false, createdAt, topicId),
        created_at: createdAt,
        version: 1,
      };
      const message = newMessage(topic, forumId, caller, 1, createdAt, request.bodyText);
      return {
        status: 201,
        body: { topic: toTopicView(topic), message: toMessageView(message) },
        items: [topicCreatePut(app.config.tables, topic), messagePut(app.config.tables, message), ...postingItems],
      };
    },
  });
  if (!result.replayed) app.metrics.count('ForumMessagesPosted', 1, { Operation: 'create-topic' });
  return result;
}

export interface PostMessageRequest extends ForumWrite {
  readonly topicId: string;
  readonly bodyText: string;
}

/**
 * Posts a reply: allocates `seq = last_seq + 1` on the topic and commits
 * the counter, the message, the posting-state updates and the idempotency
 * record in one transaction. A lost race re-reads everything and checks the
 * rules again, so a lock or a slow-mode stamp that won the race is obeyed.
 */
export async function postMessage(app: App, request: PostMessageRequest): Promise<WriteResult> {
  const { caller, topicId } = request;
  const access = await readableTopic(app, caller, topicId);
  const { forum, decision } = access;
  assertCanWriteForum(decision, forum, app.clock());
  const readTopic = topicReader(app, access.topic);

  const result = await transactionalWrite(app, {
    deadline: request.deadline,
    ...idempotencyOption(request, 'post-message', topicId),
    prepare: async (now) => {
      const topic = await readTopic();
      assertUnlocked(topic);
      const postingItems = await postingItemsFor(app, caller, forum, topic, now);

      const createdAt = nextPublishedAt(now, topic.last_created_at);
      const message = newMessage(topic, forum.forum_id, caller, topic.last_seq + 1, createdAt, request.bodyText);
      return {
        status: 201,
        body: toMessageView(message),
        items: [topicMessageAdvance(app.config.tables, topic, createdAt), messagePut(app.config.tables, message), ...postingItems],
      };
    },
  });
  if (!result.replayed) app.metrics.count('ForumMessagesPosted', 1, { Operation: 'post-message' });
  return result;
}

export interface EditMessageRequest {
  readonly caller: Caller;
  readonly topicId: string;
  readonly messageId: string;
  readonly seq: number;
  readonly bodyText: string;
  readonly deadline: number;
}

/** Edits the caller's own live message inside the edit window; seq stays, version and edited_at change. */
export async function editMessage(app: App, request: EditMessageRequest): Promise<WriteResult> {
  const { caller, topicId } = request;
  const access = await readableTopic(app, caller, topicId);
  const { forum, decision } = access;
  assertCanWriteForum(decision, forum, app.clock());
  const readTopic = topicReader(app, access.topic);

  return transactionalWrite(app, {
    deadline: request.deadline,
    prepare: async (now) => {
      const topic = await readTopic();
      const message = await existingMessage(app, topicId, request.messageId, request.seq);
      if (message.is_deleted) throw new ConflictError(`Message ${message.message_id} is deleted and cannot be edited`);
      if (message.author_id !== caller.userId) throw new ForbiddenError('Only the author may edit a message');
      if (!isInsideEditWindow(message.created_at, now, app.config.forums.editWindowMs)) {
        throw new ForbiddenError(`The edit window of ${app.config.forums.editWindowMs / 3_600_000} hours after the message was posted has closed`);
      }
      assertUnlocked(topic);
      const postingItems = await postingItemsFor(app, caller, forum, topic, now, 'skip');

      const editedAt = new Date(now).toISOString();
      const edited: StoredMessage = { ...message, body_text: request.bodyText, edited_at: editedAt, version: message.version + 1 };
      return {
        status: 200,
        body: toMessageView(edited),
        items: [messageEditUpdate(app.config.tables, message, request.bodyText, editedAt), topicUnlockedCheck(app.config.tables, topicId), ...postingItems],
      };
    },
  });
}

export interface DeleteMessageRequest {
  readonly caller: Caller;
  readonly topicId: string;
  readonly messageId: string;
  readonly seq: number;
  readonly deadline: number;
}

/**
 * Turns a message into a tombstone at the same seq. The author may delete
 * their own message without an access decision, so a lapsed subscriber can
 * still remove what they wrote. Moderators and admins may delete any
 * message, and that is audited. Deleting a tombstone again changes nothing.
 */
export async function deleteMessage(app: App, request: DeleteMessageRequest): Promise<WriteResult> {
  const { caller, topicId } = request;
  return transactionalWrite(app, {
    deadline: request.deadline,
    prepare: async (now) => {
      const topic = await getTopic(app.db, app.config.tables, topicId);
      if (!topic) throw new NotFoundError(`Topic ${topicId} does not exist`);
      const message = await existingMessage(app, topicId, request.messageId, request.seq);
      const isAuthor = message.author_id === caller.userId;
      if (!isAuthor && !isForumStaff(caller)) throw new ForbiddenError('Only the author, a moderator or an admin may delete a message');
      if (message.is_deleted) return { status: 200, body: toMessageView(message), items: [] };

      const deletedAt = new Date(now).toISOString();
      const tombstone: StoredMessage = { ...message, body_text: null, is_deleted: true, version: message.version + 1 };
      const items: TransactItem[] = [messageTombstoneUpdate(app.config.tables, message, deletedAt, caller.userId), topicMessageRemoved(app.config.tables, topicId)];
      if (!isAuthor) {
        items.push(
          auditPut(app.config.tables, {
            actorId: caller.userId,
            action: 'message.deleted_by_moderator',
            target: topicTarget(topicId),
            at: now,
            details: { forum_id: topic.forum_id, message_id: message.message_id, seq: message.seq, author_id: message.author_id },
          }),
        );
      }
      return { status: 200, body: toMessageView(tombstone), items };
    },
  });
}

export const topicTarget = (topicId: string): string => `topic#${topicId}`;
export const forumTarget = (forumId: string): string => `forum#${forumId}`;

function idempotencyOption(request: ForumWrite, operation: string, targetId: string) {
  if (request.idempotencyKey === undefined) return {};
  return { idempotency: { scope: { actorId: request.caller.userId, operation, targetId }, key: request.idempotencyKey, payload: request.payload } };
}

function newMessage(topic: StoredTopic, forumId: string, caller: Caller, seq: number, createdAt: string, bodyText: string): StoredMessage {
  return {
    topic_id: topic.topic_id,
    seq,
    message_id: newMessageId(seq),
    forum_id: forumId,
    created_at: createdAt,
    created_key: publishedKey(createdAt, seq),
    author_id: caller.userId,
    body_text: bodyText,
    edited_at: null,
    version: 1,
    is_deleted: false,
  };
}

/**
 * Returns a reader that gives the topic the access check already read on the
 * first call and reads it again on each later one, after a lost race. The
 * first read is as fresh as any: the transaction's conditions on the topic
 * (counter, lock) reject a change committed since.
 */
function topicReader(app: App, first: StoredTopic): () => Promise<StoredTopic> {
  let unused: StoredTopic | undefined = first;
  return async () => {
    if (unused) {
      const topic = unused;
      unused = undefined;
      return topic;
    }
    const topic = await getTopic(app.db, app.config.tables, first.topic_id);
    if (!topic) throw new NotFoundError(`Topic ${first.topic_id} does not exist`);
    return topic;
  };
}

async function existingMessage(app: App, topicId: string, messageId: string, seq: number): Promise<StoredMessage> {
  const message = await getMessage(app.db, app.config.tables, topicId, seq);
  if (!message || message.message_id !== messageId) throw new NotFoundError(`Message ${messageId} does not exist in topic ${topicId}`);
  return message;
}

/** Rejects writes to a locked topic with 409, because the topic's state forbids them; the lock applies to moderators too. */
function assertUnlocked(topic: StoredTopic): void {
  if (topic.locked) throw new ConflictError(`Topic ${topic.topic_id} is locked; it accepts no new messages or edits`);
}

function mutedError(mutedUntil: string): ForbiddenError {
  return new ForbiddenError(`You are muted in this forum until ${mutedUntil}`);
}

/**
 * Checks the caller's mute, slow mode (replies only) and rate limit, and
 * returns the transaction items that record this write against them, each
 * conditioned on the state read here. Moderators and admins are exempt
 * from slow mode and the rate limit. An edit (`slowMode: 'skip'`) counts
 * against the rate limit, because each one fans out a delta too, but not
 * against slow mode.
 */
async function postingItemsFor(
  app: App,
  caller: Caller,
  forum: StoredForum,
  topic: StoredTopic | undefined,
  now: number,
  slowMode: 'stamp' | 'skip' = 'stamp',
): Promise<TransactItem[]> {
  const tables = app.config.tables;
  const state = await getPostingState(app.db, tables, caller.userId, forum.forum_id, slowMode === 'stamp' ? topic?.topic_id : undefined);
  if (isMuted(state.mute, now)) throw mutedError(state.mute.muted_until);
  if (isForumStaff(caller)) return [];

  const items: TransactItem[] = [notMutedCheck(tables, caller.userId, forum.forum_id, now)];
  if (topic && slowMode === 'stamp') {
    const waitMs = slowModeWaitMs(topic.slow_mode_seconds, state.lastMessageAt, now);
    if (waitMs > 0) {
      const seconds = retryAfterSeconds(waitMs);
      throw new RateLimitedError(`Topic ${topic.topic_id} is in slow mode: one message per ${topic.slow_mode_seconds} s; retry in ${seconds} s`, seconds);
    }
    // Stamped even while slow mode is off, so turning it on also counts the message just before.
    items.push(slowModeStampPut(tables, caller.userId, topic.topic_id, state.lastMessageAt, now, MAX_SLOW_MODE_SECONDS));
  }

  const { rateLimitMessages, rateLimitWindowMs } = app.config.forums;
  if (rateLimitMessages > 0) {
    const outcome = rateLimitOutcome(state.rate, now, rateLimitMessages, rateLimitWindowMs);
    if (!outcome.allowed) {
      const seconds = retryAfterSeconds(outcome.waitMs);
      throw new RateLimitedError(`You may post ${rateLimitMessages} messages per ${rateLimitWindowMs / 1000} s; retry in ${seconds} s`, seconds);
    }
    items.push(rateWindowPut(tables, caller.userId, state.rate, outcome.next, rateLimitWindowMs));
  }
  return items;
}

/**
 * Resolves a "discuss this post" reference: the forum must be linked to a
 * channel, the post must exist there and be live, and the caller must be
 * able to read it.
 */
async function referencedPost(app: App, forum: StoredForum, decision: AccessDecision, postId: string): Promise<PostReference> {
  const channelId = forum.linked_channel_id;
  if (channelId === null) throw new InvalidRequestError('post_id', `forum ${forum.forum_id} is not linked to a channel, so its topics cannot discuss a post`);
  const seq = seqOfPostId(postId);
  const post = seq === undefined ? undefined : await getPost(app.db, app.config.tables, channelId, seq);
  if (!post || post.post_id !== postId || post.is_deleted) {
    throw new InvalidRequestError('post_id', `does not name a live post in channel ${channelId}`);
  }
  assertCanReadForum(decision, forum);
  if (!canReadPostAt(decision, Date.parse(post.published_at))) throw new ForbiddenError(`Post ${postId} is outside your read windows`);
  return { channel_id: channelId, post_id: postId };
}
