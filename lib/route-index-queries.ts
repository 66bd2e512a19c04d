import type { RouteDefinition } from './routes.js';
import {
  AUDIT_BY_ACTOR_INDEX,
  MESSAGES_BY_CREATED_AT_INDEX,
  POSTS_BY_PUBLISHED_AT_INDEX,
  TOPICS_BY_ACTIVITY_INDEX,
  type TableId,
} from './table-definitions.js';

/** One secondary index that a route queries. */
export interface IndexQuery {
  readonly table: TableId;
  readonly indexName: string;
}

/**
 * Secondary indexes each HTTP route queries, keyed by handler. Query on an
 * index is authorized on the index ARN, so a route function gets the ARNs of
 * these indexes and of no other. A route missing here queries tables only.
 */
export const ROUTE_INDEX_QUERIES: Readonly<Record<string, readonly IndexQuery[]>> = {
  // Feed paging turns a read window's edges into seqs through the time index.
  'list-posts': [{ table: 'posts', indexName: POSTS_BY_PUBLISHED_AT_INDEX }],
  'list-messages': [{ table: 'messages', indexName: MESSAGES_BY_CREATED_AT_INDEX }],
  // A filter by actor without a target.
  'list-audit': [{ table: 'audit', indexName: AUDIT_BY_ACTOR_INDEX }],
  // A forum's topics, pinned first and then by latest activity.
  'list-topics': [{ table: 'topics', indexName: TOPICS_BY_ACTIVITY_INDEX }],
};

/** Returns the secondary indexes the route queries, an empty list for most routes. */
export function indexQueriesOf(route: RouteDefinition): readonly IndexQuery[] {
  return ROUTE_INDEX_QUERIES[route.handler] ?? [];
}
