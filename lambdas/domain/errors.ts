/**
 * Domain errors. Each class carries the HTTP status and the stable error code
 * of the API contract, so one middleware maps any of them to
 * `{"error":{"code","message"}}` and handlers never build error responses.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input. `field` is the path of the offending value, e.g. `access_policy.resubscribe_backfill_days`. */
export class InvalidRequestError extends DomainError {
  readonly status = 400;
  readonly code = 'invalid_request';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export class UnauthorizedError extends DomainError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly code = 'forbidden';
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'not_found';
}

export class ConflictError extends DomainError {
  readonly status = 409;
  readonly code: 'conflict' | 'idempotency_conflict' = 'conflict';
}

export class IdempotencyConflictError extends ConflictError {
  override readonly code = 'idempotency_conflict';

  constructor() {
    super('Idempotency-Key was already used with a different request body; use a new key for a new request');
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

export class RateLimitedError extends DomainError {
  readonly status = 429;
  readonly code = 'rate_limited';

  constructor(
    message: string,
    /** Seconds the client should wait, sent as `Retry-After`. */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The access provider timed out, failed or returned malformed data, so access is denied (fail closed). */
export class AccessUnavailableError extends DomainError {
  readonly status = 503;
  readonly code = 'access_unavailable';
}
