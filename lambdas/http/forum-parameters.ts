import { InvalidRequestError } from '../domain/errors.js';
import { seqOfMessageId } from '../domain/forums.js';
import { forumIdSchema, topicIdSchema } from './forum-schemas.js';
import { parseInput, pathParameter, type HttpEvent } from './request.js';

export function forumIdParameter(event: HttpEvent): string {
  return parseInput(forumIdSchema, pathParameter(event, 'forumId'), 'forumId');
}

export function topicIdParameter(event: HttpEvent): string {
  return parseInput(topicIdSchema, pathParameter(event, 'topicId'), 'topicId');
}

/** Returns the message id and the seq it embeds; an id that is not a message id is a 400 naming `messageId`. */
export function messageIdParameter(event: HttpEvent): { messageId: string; seq: number } {
  const messageId = pathParameter(event, 'messageId');
  const seq = seqOfMessageId(messageId);
  if (seq === undefined) throw new InvalidRequestError('messageId', 'is not a valid message id');
  return { messageId, seq };
}
