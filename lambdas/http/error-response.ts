import { DomainError, RateLimitedError } from '../domain/errors.js';
import { errorFields, type Logger } from '../logger.js';
import type { ApiResponse } from './request.js';

/**
 * Maps any thrown value to the contract's `{"error":{"code","message"}}`.
 * Domain errors keep their status and message; anything else is a 500 whose
 * message carries only the request id, and is logged once here.
 */
export function errorResponse(error: unknown, requestId: string, logger: Logger): ApiResponse {
  if (error instanceof DomainError) {
    const fields = { status: error.status, code: error.code, ...('field' in error && { field: error.field }) };
    if (error.status >= 500) logger.warn('Request failed', { ...fields, ...errorFields(error.cause ?? error) });
    else logger.info('Request rejected', fields);

    const headers = error instanceof RateLimitedError ? { 'retry-after': String(error.retryAfterSeconds) } : undefined;
    return { status: error.status, body: { error: { code: error.code, message: error.message } }, headers };
  }

  logger.error('Unhandled error', errorFields(error));
  return {
    status: 500,
    body: { error: { code: 'internal_error', message: `Internal error; quote request id ${requestId} when reporting it` } },
  };
}
