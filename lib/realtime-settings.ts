/**
 * Stream and WebSocket settings shared by the CDK stack (the event source
 * mapping) and the local stack (the stream poller), so both deliver with
 * the same batching, retry and partial-failure behaviour.
 */
export const POSTS_STREAM_SETTINGS = {
  /** Records per handler invocation. */
  batchSize: 100,
  /** Retries of a failing record before it goes to the dead-letter queue. */
  retryAttempts: 3,
  /** Split a failing batch in two on each retry, to isolate a poison record. */
  bisectBatchOnError: true,
  /** The handler returns `batchItemFailures`, so Lambda retries from the first failed record. */
  reportBatchItemFailures: true,
  /** Records older than this are dropped (and dead-lettered) rather than retried. */
  maxRecordAgeSeconds: 3600,
} as const;

/** WebSocket routes besides `$connect` and `$disconnect`, chosen by the message's `action` field. */
export const WEBSOCKET_ROUTES = [
  { routeKey: 'subscribe', handler: 'ws-subscribe' },
  { routeKey: 'unsubscribe', handler: 'ws-unsubscribe' },
  { routeKey: 'ping', handler: 'ws-ping' },
  { routeKey: '$default', handler: 'ws-default' },
] as const;

/** API Gateway picks the route from this expression; a message without a known action goes to `$default`. */
export const ROUTE_SELECTION_EXPRESSION = '$request.body.action';
