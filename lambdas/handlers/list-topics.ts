import { getForum, listTopicsByActivity } from '../adapters/forum-store.js';
import { NotFoundError } from '../domain/errors.js';
import { DEFAULT_PAGE_SIZE } from '../domain/feed.js';
import { toTopicView, type StoredTopic } from '../domain/forums.js';
import { canReadPostAt } from '../domain/read-windows.js';
import { decodeCursor, encodeCursor, invalidCursor } from '../http/cursor.js';
import { forumIdParameter } from '../http/forum-parameters.js';
import { topicListQuerySchema } from '../http/forum-schemas.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { parseQuery } from '../http/request.js';
import { assertCanReadForum, forumDecision } from '../services/forum-access.js';

const CURSOR_ATTRIBUTES = new Set(['topic_id', 'forum_id', 'activity_key']);
/** Index reads one page may make while skipping topics outside the caller's windows; the cursor carries on from there. */
const MAX_QUERIES_PER_PAGE = 5;

/**
 * GET /api/mobile/forums/{forumId}/topics: pinned topics first, then by
 * latest activity. Topics created outside the caller's windows are left
 * out; a page may then hold fewer than `limit` and still have a cursor.
 */
export const route: RouteHandler = async ({ event, caller }, app) => {
  const forumId = forumIdParameter(event);
  const query = parseQuery(event, topicListQuerySchema);
  const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
  let startKey: Record<string, unknown> | undefined = query.cursor === undefined ? undefined : decodeCursor(query.cursor, CURSOR_ATTRIBUTES);
  if (startKey && (startKey.forum_id !== forumId || Object.keys(startKey).length !== CURSOR_ATTRIBUTES.size)) throw invalidCursor();

  const forum = await getForum(app.db, app.config.tables, forumId);
  if (!forum) throw new NotFoundError(`Forum ${forumId} does not exist`);
  const decision = await forumDecision(app, caller, forum);
  assertCanReadForum(decision, forum);

  const topics: StoredTopic[] = [];
  for (let queries = 0; queries < MAX_QUERIES_PER_PAGE && topics.length < limit; queries += 1) {
    const page = await listTopicsByActivity(app.db, app.config.tables, forumId, limit - topics.length, startKey);
    topics.push(...page.items.filter((topic) => canReadPostAt(decision, Date.parse(topic.created_at))));
    startKey = page.nextKey;
    if (!startKey) break;
  }

  return { status: 200, body: { topics: topics.map(toTopicView), next_cursor: encodeCursor(startKey) } };
};

export const handler = lambdaHandler(route);
