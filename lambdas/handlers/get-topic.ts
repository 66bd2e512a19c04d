import { toTopicView } from '../domain/forums.js';
import { topicIdParameter } from '../http/forum-parameters.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { readableTopic } from '../services/forum-access.js';

/** GET /api/mobile/topics/{topicId}: one topic, if the caller may read its forum and the topic's creation time. */
export const route: RouteHandler = async ({ event, caller }, app) => {
  const { topic } = await readableTopic(app, caller, topicIdParameter(event));
  return { status: 200, body: toTopicView(topic) };
};

export const handler = lambdaHandler(route);
