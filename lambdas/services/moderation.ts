import type { App } from '../app.js';
import { auditPut } from '../adapters/audit.js';
import { getForum, getTopic, topicModerationUpdate, type TopicModeration } from '../adapters/forum-store.js';
import { getPostingState, isMuted, mutePut, type StoredMute } from '../adapters/posting-state-store.js';
import { InvalidRequestError, NotFoundError } from '../domain/errors.js';
import { MAX_MUTE_MS, toTopicView } from '../domain/forums.js';
import type { Caller } from '../domain/identity.js';
import { assertForumStaff } from './forum-access.js';
import { forumTarget, topicTarget } from './forum-posting.js';
import { transactionalWrite, type WriteResult } from './transactional-write.js';

interface ModerationRequest {
  readonly caller: Caller;
  readonly deadline: number;
}

export interface TopicModerationRequest extends ModerationRequest {
  readonly topicId: string;
  readonly changes: TopicModeration;
}

/**
 * Locks, pins or sets slow mode on a topic (moderators and admins), with an
 * audit record in the same transaction. A request that changes nothing
 * writes nothing and returns the topic unchanged.
 */
export async function moderateTopic(app: App, request: TopicModerationRequest): Promise<WriteResult> {
  const { caller, topicId } = request;
  assertForumStaff(caller);

  return transactionalWrite(app, {
    deadline: request.deadline,
    prepare: async (now) => {
      const topic = await getTopic(app.db, app.config.tables, topicId);
      if (!topic) throw new NotFoundError(`Topic ${topicId} does not exist`);

      const changed = Object.fromEntries(
        Object.entries(request.changes).filter(([field, value]) => value !== undefined && topic[field as keyof TopicModeration] !== value),
      ) as TopicModeration;
      if (Object.keys(changed).length === 0) return { status: 200, body: toTopicView(topic), items: [] };

      const updated = { ...topic, ...changed, version: topic.version + 1 };
      return {
        status: 200,
        body: toTopicView(updated),
        items: [
          topicModerationUpdate(app.config.tables, topic, changed),
          auditPut(app.config.tables, {
            actorId: caller.userId,
            action: moderationAction(changed),
            target: topicTarget(topicId),
            at: now,
            details: { forum_id: topic.forum_id, version: updated.version, ...changed },
          }),
        ],
      };
    },
  });
}

/** Names the audit action, such as `topic.locked` or `topic.slow_mode_changed`; each route changes one setting. */
function moderationAction(changed: TopicModeration): string {
  if (changed.locked !== undefined) return changed.locked ? 'topic.locked' : 'topic.unlocked';
  if (changed.pinned !== undefined) return changed.pinned ? 'topic.pinned' : 'topic.unpinned';
  return 'topic.slow_mode_changed';
}

export interface MuteRequest extends ModerationRequest {
  readonly forumId: string;
  readonly userId: string;
  /** Epoch ms the mute ends. */
  readonly until: number;
  readonly reason?: string;
}

/** Mutes a user in a forum until a time in the future (at most a year), replacing any earlier mute. */
export async function muteUser(app: App, request: MuteRequest): Promise<WriteResult> {
  const { caller, forumId, userId } = request;
  assertForumStaff(caller);

  return transactionalWrite(app, {
    deadline: request.deadline,
    prepare: async (now) => {
      if (request.until <= now) throw new InvalidRequestError('until', 'must be in the future');
      if (request.until > now + MAX_MUTE_MS) throw new InvalidRequestError('until', 'must be at most 366 days from now');
      const forum = await getForum(app.db, app.config.tables, forumId);
      if (!forum) throw new NotFoundError(`Forum ${forumId} does not exist`);

      const mute = {
        user_id: userId,
        forum_id: forumId,
        muted_until: new Date(request.until).toISOString(),
        muted_by: caller.userId,
        muted_at: new Date(now).toISOString(),
        reason: request.reason ?? null,
      };
      return {
        status: 200,
        body: muteView(mute),
        items: [
          mutePut(app.config.tables, mute),
          auditPut(app.config.tables, {
            actorId: caller.userId,
            action: 'user.muted',
            target: forumTarget(forumId),
            at: now,
            details: { user_id: userId, muted_until: mute.muted_until, reason: mute.reason },
          }),
        ],
      };
    },
  });
}

export interface UnmuteRequest extends ModerationRequest {
  readonly forumId: string;
  readonly userId: string;
}

/** Ends a mute now. 404 when the user is not muted in the forum. */
export async function unmuteUser(app: App, request: UnmuteRequest): Promise<WriteResult> {
  const { caller, forumId, userId } = request;
  assertForumStaff(caller);

  return transactionalWrite(app, {
    deadline: request.deadline,
    prepare: async (now) => {
      const forum = await getForum(app.db, app.config.tables, forumId);
      if (!forum) throw new NotFoundError(`Forum ${forumId} does not exist`);
      const { mute } = await getPostingState(app.db, app.config.tables, userId, forumId);
      if (!isMuted(mute, now)) throw new NotFoundError(`User ${userId} is not muted in forum ${forumId}`);

      const ended = { ...mute, muted_until: new Date(now).toISOString() };
      return {
        status: 200,
        body: muteView(ended),
        items: [
          mutePut(app.config.tables, ended),
          auditPut(app.config.tables, { actorId: caller.userId, action: 'user.unmuted', target: forumTarget(forumId), at: now, details: { user_id: userId, muted_until: mute.muted_until } }),
        ],
      };
    },
  });
}

function muteView(mute: Pick<StoredMute, 'forum_id' | 'user_id' | 'muted_until' | 'muted_by' | 'reason'>) {
  return { forum_id: mute.forum_id, user_id: mute.user_id, muted_until: mute.muted_until, muted_by: mute.muted_by, reason: mute.reason };
}
