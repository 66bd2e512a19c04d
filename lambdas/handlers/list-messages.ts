import { messagesLog } from '../adapters/message-store.js';
import { toMessageView, type StoredMessage } from '../domain/forums.js';
import { topicIdParameter } from '../http/forum-parameters.js';
import { messageQuerySchema } from '../http/forum-schemas.js';
import { feedCursor, pageLimit } from '../http/feed-query.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { parseQuery } from '../http/request.js';
import { readableTopic } from '../services/forum-access.js';
import { readSequencePage } from '../services/feed.js';

/**
 * GET /api/mobile/topics/{topicId}/messages: a page of messages, ascending
 * after `after_seq` or newest first below `before_seq`, like a channel
 * feed. In a linked forum, messages outside the caller's windows are
 * skipped without being read.
 */
export const route: RouteHandler = async ({ event, caller }, app) => {
  const topicId = topicIdParameter(event);
  const query = parseQuery(event, messageQuerySchema);
  const cursor = feedCursor(query);
  const limit = pageLimit(query);

  const { topic, decision } = await readableTopic(app, caller, topicId);
  const source = {
    log: messagesLog(app.config.tables),
    partition: topicId,
    lastSeq: topic.last_seq,
    timeOf: (message: StoredMessage) => Date.parse(message.created_at),
  };
  const { entries, ...position } = await readSequencePage(app, source, decision, cursor, limit);
  return { status: 200, body: { messages: entries.map(toMessageView), ...position, last_seq: topic.last_seq } };
};

export const handler = lambdaHandler(route);
