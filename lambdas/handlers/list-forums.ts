import { listForums } from '../adapters/forum-store.js';
import { DEFAULT_PAGE_SIZE } from '../domain/feed.js';
import { toForumView } from '../domain/forums.js';
import { decisionToJson } from '../domain/read-windows.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { forumListQuerySchema } from '../http/forum-schemas.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { parseQuery } from '../http/request.js';
import { forumDecision } from '../services/forum-access.js';

const CURSOR_ATTRIBUTES = new Set(['forum_id']);

/** GET /api/mobile/forums: forums with the caller's decision in each, a page at a time. */
export const route: RouteHandler = async ({ event, caller }, app) => {
  const query = parseQuery(event, forumListQuerySchema);
  const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
  const startKey = query.cursor === undefined ? undefined : decodeCursor(query.cursor, CURSOR_ATTRIBUTES);

  const page = await listForums(app.db, app.config.tables, limit, startKey);
  const forums = await Promise.all(
    page.items.map(async (forum) => ({ ...toForumView(forum), access: decisionToJson(await forumDecision(app, caller, forum)) })),
  );
  return { status: 200, body: { forums, next_cursor: encodeCursor(page.nextKey) } };
};

export const handler = lambdaHandler(route);
