import { InvalidRequestError } from '../domain/errors.js';
import type { Caller } from '../domain/identity.js';

/** The parts of an API Gateway WebSocket event the handlers read. */
export interface WebSocketEvent {
  readonly requestContext: {
    readonly connectionId: string;
    readonly routeKey: string;
    readonly eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    readonly requestId: string;
    /** The Lambda authorizer's context from `$connect`, repeated on every later event. */
    readonly authorizer?: Record<string, unknown>;
  };
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

export interface WebSocketResult {
  readonly statusCode: number;
  readonly body?: string;
}

/** Context keys the WebSocket authorizer returns; API Gateway passes them as strings. */
export interface AuthorizerContext {
  readonly userId: string;
  readonly isAdmin: 'true' | 'false';
  readonly isModerator: 'true' | 'false';
}

export function callerFromAuthorizer(event: WebSocketEvent): Caller {
  const context = event.requestContext.authorizer ?? {};
  const userId = context.userId;
  if (typeof userId !== 'string' || userId === '') {
    throw new Error('The WebSocket event has no authorizer userId; is the $connect route behind the authorizer?');
  }
  return { userId, isAdmin: String(context.isAdmin) === 'true', isModerator: String(context.isModerator) === 'true' };
}

/** Parses a message body as a JSON object; a 400-style error names the field. */
export function parseMessageBody(event: WebSocketEvent): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidRequestError('body', 'is not valid JSON');
  }
}

/** The response to $connect and $disconnect: accepted, no frame. */
export const OK: WebSocketResult = { statusCode: 200 };
