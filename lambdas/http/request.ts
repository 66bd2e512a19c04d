import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type * as z from 'zod/mini';
import { InvalidRequestError, PayloadTooLargeError } from '../domain/errors.js';
import type { Caller } from '../domain/identity.js';
import type { Logger } from '../logger.js';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

/** Largest JSON body accepted, in bytes; a 20,000-character body_text in 4-byte UTF-8 still fits. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** A request after the edge checks: the caller is known and ids are logged. */
export interface ApiRequest {
  readonly event: HttpEvent;
  readonly caller: Caller;
  readonly requestId: string;
  readonly logger: Logger;
  /** Real time (epoch ms) by which the route must respond, inside the Lambda timeout. */
  readonly deadline: number;
}

export interface ApiResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** Case-insensitive header lookup; API Gateway lower-cases names in payload 2.0, but clients may not. */
export function header(event: HttpEvent, name: string): string | undefined {
  const lowerName = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === lowerName) return value;
  }
  return undefined;
}

export function pathParameter(event: HttpEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (value === undefined || value === '') throw new InvalidRequestError(name, 'is missing from the path');
  return value;
}

/** Parses the JSON body with a strict schema; the 400 names the first invalid field. */
export function parseJsonBody<Schema extends z.ZodMiniType>(event: HttpEvent, schema: Schema): z.infer<Schema> {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_REQUEST_BYTES) {
    throw new PayloadTooLargeError(`The request body is larger than ${MAX_REQUEST_BYTES} bytes`);
  }
  if (text.trim() === '') throw new InvalidRequestError('body', 'is missing: send a JSON object');

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidRequestError('body', 'is not valid JSON');
  }
  return parseInput(schema, json, 'body');
}

/** Parses query string parameters with a strict schema (unknown parameters are rejected). */
export function parseQuery<Schema extends z.ZodMiniType>(event: HttpEvent, schema: Schema): z.infer<Schema> {
  return parseInput(schema, event.queryStringParameters ?? {}, 'query');
}

/** Runs a schema and turns the first issue into an InvalidRequestError naming its path. */
export function parseInput<Schema extends z.ZodMiniType>(schema: Schema, value: unknown, rootName: string): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.infer<Schema>;

  const issue = result.error.issues[0];
  if (!issue) throw new InvalidRequestError(rootName, 'is invalid');
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = [...issue.path, ...(unknownKey === undefined ? [] : [unknownKey])].map(String);
  const field = truncateField(path.length > 0 ? path.join('.') : rootName);
  const message = unknownKey === undefined ? issue.message : 'is not a known field';
  throw new InvalidRequestError(field, message);
}

/** Maximum length of a field name in an error and its log line, because an unknown key is client input of any length. */
const MAX_FIELD_LENGTH = 100;

function truncateField(field: string): string {
  return field.length <= MAX_FIELD_LENGTH ? field : `${field.slice(0, MAX_FIELD_LENGTH)}...`;
}
