import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lambdas/logger.js';
import type { LocalConnection } from './websocket-server.js';

/** A request handler for the HTTP gateway's `extraHandlers`. It returns true when it wrote the response. */
export type ExtraRequestHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;

export interface ConnectionsEndpointOptions {
  /** Open connections by id, from the local WebSocket server. */
  readonly connections: ReadonlyMap<string, LocalConnection>;
  readonly logger: Logger;
}

/** API Gateway's PostToConnection limit: 128 KB of data per call. */
const MAX_POST_BYTES = 128 * 1024;

/** The endpoint's paths: `/@connections/{connectionId}`, with the id URL-encoded. */
const CONNECTION_PATH = /^\/@connections\/([^/]+)$/;

/** Close code and reason the server sends when DeleteConnection closes a socket. */
const DELETE_CLOSE = { code: 1000, reason: 'Connection deleted' } as const;

/**
 * Serves API Gateway's `@connections` management API, so the real
 * ApiGatewayManagementApiClient works against the local stack by endpoint
 * override: POST sends the body as a text frame, GET describes the
 * connection, DELETE closes it. An unknown or closed connection
 * returns 410 with `x-amzn-ErrorType: GoneException`, the header the SDK
 * maps to GoneException.
 *
 * NOTE: requests are not authenticated. API Gateway checks their SigV4
 * signature against an IAM policy allowing `execute-api:ManageConnections`.
 */
export function createConnectionsEndpoint(options: ConnectionsEndpointOptions): ExtraRequestHandler {
  const { connections, logger } = options;

  return async (request, response, url) => {
    const match = CONNECTION_PATH.exec(url.pathname);
    if (!match?.[1]) return false;

    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[1]);
    } catch {
      writeError(response, 400, 'BadRequestException', `Invalid connection id "${match[1]}": it is not valid URL encoding`);
      return true;
    }
    const connection = connections.get(connectionId);

    switch (request.method) {
      case 'POST': {
        const body = await readBody(request, MAX_POST_BYTES);
        if (body === undefined) {
          writeError(response, 413, 'PayloadTooLargeException', `Data is larger than ${MAX_POST_BYTES} bytes`);
          return true;
        }
        if (!connection?.send(body.toString('utf8'))) {
          writeGone(response);
          return true;
        }
        response.writeHead(200).end();
        return true;
      }

      case 'GET': {
        if (!connection) {
          writeGone(response);
          return true;
        }
        // The wire names are camelCase, and the SDK turns them into ConnectedAt, Identity and LastActiveAt.
        writeJson(response, 200, {
          connectedAt: new Date(connection.context.connectedAt).toISOString(),
          identity: { sourceIp: connection.context.sourceIp, userAgent: connection.context.userAgent },
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        });
        return true;
      }

      case 'DELETE': {
        if (!connection) {
          writeGone(response);
          return true;
        }
        connection.close(DELETE_CLOSE.code, DELETE_CLOSE.reason);
        logger.info('WebSocket connection deleted through @connections', { connectionId });
        response.writeHead(204).end();
        return true;
      }

      default:
        writeError(response, 405, 'MethodNotAllowedException', `Method ${request.method} is not allowed on @connections. Use POST, GET or DELETE`, {
          allow: 'POST, GET, DELETE',
        });
        return true;
    }
  };
}

function writeGone(response: ServerResponse): void {
  writeError(response, 410, 'GoneException', 'Gone');
}

function writeError(response: ServerResponse, status: number, errorType: string, message: string, headers: Record<string, string> = {}): void {
  writeJson(response, status, { message }, { 'x-amzn-errortype': errorType, ...headers });
}

function writeJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Reads the body, or returns undefined once it passes `maxBytes` (the rest is drained and dropped). */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > maxBytes ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
