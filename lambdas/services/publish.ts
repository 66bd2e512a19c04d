import type { App } from '../app.js';
import { auditPut, channelTarget } from '../adapters/audit.js';
import { counterAdvance, getChannel } from '../adapters/channel-store.js';
import { attachmentClaimPut, claimedAttachments, postPut } from '../adapters/post-store.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../domain/errors.js';
import type { Caller } from '../domain/identity.js';
import { newPostId, nextPublishedAt, publishedKey, toPostView, type AttachmentMetadata, type StoredPost } from '../domain/posts.js';
import { resolveAttachments } from '../media/attachments.js';
import { assertCanPublish } from './channel-access.js';
import { transactionalWrite, type WriteResult } from './transactional-write.js';

export interface PublishInput {
  readonly bodyText: string;
  /** Import only: the original publication time, epoch ms. */
  readonly publishedAt?: number;
  /** Uploads to attach, checked against the bucket before the post commits. */
  readonly attachmentIds?: readonly string[];
}

export interface PublishRequest {
  readonly caller: Caller;
  readonly channelId: string;
  readonly input: PublishInput;
  /** `publish-post` or `import-post`: part of the idempotency scope. */
  readonly operation: string;
  readonly idempotencyKey?: string;
  /** The parsed request body, hashed for idempotency. */
  readonly payload: unknown;
  /** Real time (epoch ms) after which no new attempt starts. */
  readonly deadline: number;
}

/**
 * Publishes (or imports) a post: allocates `seq = last_seq + 1` and commits
 * the counter, the post, the audit record and the idempotency record in one
 * transaction. `published_at` is fixed in that transaction and never goes
 * below the previous post's.
 */
export async function publishPost(app: App, request: PublishRequest): Promise<WriteResult> {
  const { caller, channelId, input } = request;
  const tables = app.config.tables;
  // Resolved once, after the permission check, and reused if a lost race makes prepare run again.
  let attachments: Promise<AttachmentMetadata[]> | undefined;

  const result = await transactionalWrite(app, {
    deadline: request.deadline,
    ...(request.idempotencyKey !== undefined && {
      idempotency: { scope: { actorId: caller.userId, operation: request.operation, targetId: channelId }, key: request.idempotencyKey, payload: request.payload },
    }),
    prepare: async (now) => {
      const channel = await getChannel(app.db, tables, channelId);
      if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
      assertCanPublish(caller, channel);
      attachments ??= resolveAttachments(app, channelId, input.attachmentIds ?? []);
      const resolvedAttachments = await attachments;
      // Checked on every attempt: a post that won a race may have claimed one meanwhile.
      await assertUnclaimed(app, input.attachmentIds ?? []);

      const publishedAt = input.publishedAt === undefined ? nextPublishedAt(now, channel.last_published_at) : importedPublishedAt(input.publishedAt, now, channel.last_published_at);
      const seq = channel.last_seq + 1;
      const post: StoredPost = {
        channel_id: channelId,
        seq,
        post_id: newPostId(seq),
        published_at: publishedAt,
        published_key: publishedKey(publishedAt, seq),
        author_id: caller.userId,
        body_text: input.bodyText,
        attachments: resolvedAttachments,
        edited_at: null,
        version: 1,
        is_deleted: false,
      };

      return {
        status: 201,
        body: toPostView(post),
        items: [
          counterAdvance(tables, channelId, channel.last_seq, publishedAt),
          postPut(tables, post),
          ...resolvedAttachments.map((attachment) =>
            attachmentClaimPut(tables, { attachmentId: attachment.id, channelId, postId: post.post_id, seq, claimedAt: new Date(now).toISOString() }),
          ),
          auditPut(tables, {
            actorId: caller.userId,
            action: input.publishedAt === undefined ? 'post.published' : 'post.imported',
            target: channelTarget(channelId),
            at: now,
            details: { post_id: post.post_id, seq },
          }),
        ],
      };
    },
  });

  if (!result.replayed) app.metrics.count('PostsPublished', 1, { Operation: input.publishedAt === undefined ? 'publish' : 'import' });
  return result;
}

/** Rejects uploads that another post already carries: deleting that post would delete their objects. */
async function assertUnclaimed(app: App, attachmentIds: readonly string[]): Promise<void> {
  const claimed = await claimedAttachments(app.db, app.config.tables, attachmentIds);
  const index = attachmentIds.findIndex((id) => claimed.has(id));
  if (index !== -1) throw new InvalidRequestError(`attachment_ids.${index}`, 'is already attached to another post; upload the file again for a new post');
}

/** Validates an import's original time: not in the future, not before the channel's latest post. */
function importedPublishedAt(publishedAt: number, now: number, lastPublishedAt: string | undefined): string {
  if (publishedAt > now) {
    throw new InvalidRequestError('published_at', 'must not be in the future');
  }
  if (lastPublishedAt !== undefined && publishedAt < Date.parse(lastPublishedAt)) {
    throw new ConflictError(`published_at must not be before the channel's latest post (${lastPublishedAt}); import history oldest first`);
  }
  return new Date(publishedAt).toISOString();
}
