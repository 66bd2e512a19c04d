import type { App } from '../app.js';
import { getChannel } from '../adapters/channel-store.js';
import { getForum, getTopic } from '../adapters/forum-store.js';
import { ForbiddenError, NotFoundError } from '../domain/errors.js';
import { canWriteUnder, type StoredForum, type StoredTopic } from '../domain/forums.js';
import type { Caller } from '../domain/identity.js';
import { canReadPostAt, type AccessDecision } from '../domain/read-windows.js';
import { readDecision } from './channel-access.js';

/** Decisions that depend on nothing stored are recomputed as often as the built-in provider's. */
const FIXED_DECISION_LIFETIME_MS = 30_000;

/** True for admins and moderators, who read, write and moderate every forum. */
export function isForumStaff(caller: Caller): boolean {
  return caller.isAdmin || caller.isModerator;
}

export function assertForumStaff(caller: Caller): void {
  if (!isForumStaff(caller)) throw new ForbiddenError('This route requires the moderator or admin role');
}

/**
 * Returns the caller's decision for a forum. Staff and everyone in an open
 * forum get FULL. A linked forum inherits the caller's decision for its
 * channel (publishers get FULL there), and throws AccessUnavailableError
 * when the provider cannot decide.
 */
export async function forumDecision(app: App, caller: Caller, forum: StoredForum): Promise<AccessDecision> {
  if (isForumStaff(caller) || forum.linked_channel_id === null) {
    return { mode: 'FULL', validUntil: app.clock() + FIXED_DECISION_LIFETIME_MS };
  }
  const channel = await getChannel(app.db, app.config.tables, forum.linked_channel_id);
  // No route deletes a channel. If the linked one is missing anyway, there is no decision to inherit, so access is denied.
  if (!channel) return { mode: 'DENY', validUntil: app.clock() + FIXED_DECISION_LIFETIME_MS };
  return readDecision(app, caller, channel);
}

/** A topic with its forum and the caller's decision there. */
export interface TopicAccess {
  readonly topic: StoredTopic;
  readonly forum: StoredForum;
  readonly decision: AccessDecision;
}

/**
 * Loads a topic the caller may read: 404 when it does not exist, 403 when
 * the caller is denied or the topic was created outside their windows.
 */
export async function readableTopic(app: App, caller: Caller, topicId: string): Promise<TopicAccess> {
  const topic = await getTopic(app.db, app.config.tables, topicId);
  if (!topic) throw new NotFoundError(`Topic ${topicId} does not exist`);
  const forum = await getForum(app.db, app.config.tables, topic.forum_id);
  if (!forum) throw new NotFoundError(`Topic ${topicId} does not exist`);
  const decision = await forumDecision(app, caller, forum);
  assertCanReadForum(decision, forum);
  if (!canReadPostAt(decision, Date.parse(topic.created_at))) throw new ForbiddenError(`Topic ${topicId} is outside your read windows`);
  return { topic, forum, decision };
}

export function assertCanReadForum(decision: AccessDecision, forum: StoredForum): void {
  if (decision.mode === 'DENY') throw new ForbiddenError(`You have no read access to forum ${forum.forum_id}`);
}

/**
 * Checks that the caller may write now: FULL, with `now` inside their
 * windows, since a message is stamped with the current time and its writer
 * must be able to read it back. An archive reader of the linked channel
 * reads the forum but cannot post in it.
 */
export function assertCanWriteForum(decision: AccessDecision, forum: StoredForum, now: number): void {
  assertCanReadForum(decision, forum);
  if (!canWriteUnder(decision) || !canReadPostAt(decision, now)) {
    throw new ForbiddenError(`Writing in forum ${forum.forum_id} needs full access to channel ${forum.linked_channel_id}`);
  }
}
