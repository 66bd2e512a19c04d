import { queryAudit } from '../adapters/audit-query.js';
import { InvalidRequestError } from '../domain/errors.js';
import { DEFAULT_PAGE_SIZE } from '../domain/feed.js';
import { lambdaHandler, type RouteHandler } from '../http/handler.js';
import { assertAdmin } from '../http/parameters.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { parseQuery } from '../http/request.js';
import { auditQuerySchema } from '../http/schemas.js';

/** Key attributes a cursor may carry: the table's and the by-actor index's. */
const CURSOR_ATTRIBUTES = new Set(['target', 'recorded_key', 'actor_id']);

/**
 * GET /api/admin/audit?target=&actor=&from=&to=&limit=&cursor=: audit
 * records newest first (admin role). A target (such as `channel#ch_…`) or an
 * actor is required, so a page is always a key lookup, never a table scan.
 */
export const route: RouteHandler = async ({ event, caller }, app) => {
  assertAdmin(caller);
  const query = parseQuery(event, auditQuerySchema);
  if (query.target === undefined && query.actor === undefined) {
    throw new InvalidRequestError('target', 'or actor is required');
  }
  const from = query.from === undefined ? undefined : new Date(query.from).toISOString();
  const to = query.to === undefined ? undefined : new Date(query.to).toISOString();
  if (from !== undefined && to !== undefined && from > to) throw new InvalidRequestError('from', 'must not be after to');

  const page = await queryAudit(app.db, app.config.tables, {
    ...(query.target !== undefined && { target: query.target }),
    ...(query.actor !== undefined && { actorId: query.actor }),
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
    limit: query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit),
    ...(query.cursor !== undefined && { startKey: decodeCursor(query.cursor, CURSOR_ATTRIBUTES) }),
  });

  return {
    status: 200,
    body: {
      records: page.records.map((record) => ({
        id: record.audit_id,
        target: record.target,
        actor_id: record.actor_id,
        action: record.action,
        recorded_at: record.recorded_at,
        details: record.details,
      })),
      next_cursor: encodeCursor(page.lastKey),
    },
  };
};

export const handler = lambdaHandler(route);
