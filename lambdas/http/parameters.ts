import { ForbiddenError, InvalidRequestError } from '../domain/errors.js';
import type { Caller } from '../domain/identity.js';
import { parseIdempotencyKey, IDEMPOTENCY_HEADER } from '../domain/idempotency.js';
import { seqOfPostId } from '../domain/posts.js';
import { header, parseInput, pathParameter, type HttpEvent } from './request.js';
import { channelIdSchema, userIdSchema } from './schemas.js';

export function channelIdParameter(event: HttpEvent): string {
  return parseInput(channelIdSchema, pathParameter(event, 'channelId'), 'channelId');
}

export function userIdParameter(event: HttpEvent): string {
  return parseInput(userIdSchema, pathParameter(event, 'userId'), 'userId');
}

/** Returns the post id and the seq it embeds; an id that is not ours is a 400 naming `postId`. */
export function postIdParameter(event: HttpEvent): { postId: string; seq: number } {
  const postId = pathParameter(event, 'postId');
  const seq = seqOfPostId(postId);
  if (seq === undefined) throw new InvalidRequestError('postId', 'is not a valid post id');
  return { postId, seq };
}

export function idempotencyKeyHeader(event: HttpEvent): string | undefined {
  return parseIdempotencyKey(header(event, IDEMPOTENCY_HEADER));
}

export function requiredIdempotencyKey(event: HttpEvent): string {
  const key = idempotencyKeyHeader(event);
  if (key === undefined) throw new InvalidRequestError('Idempotency-Key', 'header is required: send a unique key per publish and reuse it on retries');
  return key;
}

export function assertAdmin(caller: Caller): void {
  if (!caller.isAdmin) throw new ForbiddenError('This route requires the admin role');
}

/** Response headers for a write that honours Idempotency-Key. */
export function replayHeaders(replayed: boolean): Record<string, string> | undefined {
  return replayed ? { 'idempotent-replayed': 'true' } : undefined;
}
