/** An S3 error as the service returns it: HTTP status, `<Code>`, `<Message>` and detail elements. */
export interface S3ErrorResponse {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, string>>;
}

const SIGNATURE_MISMATCH_MESSAGE = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

/** The S3 errors the SigV4 verifier returns, with S3's codes, statuses and messages so SDK clients parse them as they would S3's. */
export const s3Errors = {
  anonymousAccess: (): S3ErrorResponse => ({ status: 403, code: 'AccessDenied', message: 'Access Denied' }),
  unsupportedAuthorization: (): S3ErrorResponse => ({
    status: 400,
    code: 'InvalidRequest',
    message: 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
  }),
  multipleAuthMechanisms: (): S3ErrorResponse => ({
    status: 400,
    code: 'InvalidArgument',
    message: 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
  }),
  queryParametersMissing: (missing: readonly string[]): S3ErrorResponse => ({
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message: 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    details: { MissingParameters: missing.join(',') },
  }),
  unsupportedAlgorithm: (algorithm: string): S3ErrorResponse => ({
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
    details: { 'X-Amz-Algorithm': algorithm },
  }),
  invalidAmzDate: (value: string): S3ErrorResponse => ({
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message: 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"',
    details: { 'X-Amz-Date': value },
  }),
  invalidExpires: (value: string, maxSeconds: number): S3ErrorResponse => ({
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message: `X-Amz-Expires must be an integer from 1 to ${maxSeconds} seconds`,
    details: { 'X-Amz-Expires': value },
  }),
  unknownAccessKey: (accessKeyId: string): S3ErrorResponse => ({
    status: 403,
    code: 'InvalidAccessKeyId',
    message: 'The AWS Access Key Id you provided does not exist in our records.',
    details: { AWSAccessKeyId: accessKeyId },
  }),
  headersNotSigned: (headers: readonly string[]): S3ErrorResponse => ({
    status: 403,
    code: 'AccessDenied',
    message: 'There were headers present in the request which were not signed',
    details: { HeadersNotSigned: headers.join(', ') },
  }),
  signatureDoesNotMatch: (accessKeyId: string): S3ErrorResponse => ({
    status: 403,
    code: 'SignatureDoesNotMatch',
    message: SIGNATURE_MISMATCH_MESSAGE,
    details: { AWSAccessKeyId: accessKeyId },
  }),
  requestExpired: (expiresParameter: string, expiresAt: number, now: number): S3ErrorResponse => ({
    status: 403,
    code: 'AccessDenied',
    message: 'Request has expired',
    details: { 'X-Amz-Expires': expiresParameter, Expires: isoSeconds(expiresAt), ServerTime: isoSeconds(now) },
  }),
  authorizationHeaderMalformed: (): S3ErrorResponse => ({
    status: 400,
    code: 'AuthorizationHeaderMalformed',
    message: 'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.',
  }),
  missingRequestDate: (): S3ErrorResponse => ({ status: 403, code: 'AccessDenied', message: 'AWS authentication requires a valid Date or x-amz-date header' }),
  missingContentSha256: (): S3ErrorResponse => ({ status: 400, code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' }),
  requestTimeTooSkewed: (requestTime: number, now: number): S3ErrorResponse => ({
    status: 403,
    code: 'RequestTimeTooSkewed',
    message: 'The difference between the request time and the current time is too large.',
    details: { RequestTime: isoSeconds(requestTime), ServerTime: isoSeconds(now) },
  }),
} as const;

/** Renders an error as S3's XML body. */
export function s3ErrorXml(error: S3ErrorResponse, requestId: string): string {
  const details = Object.entries(error.details ?? {})
    .map(([name, value]) => element(name, value))
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${element('Code', error.code)}${element('Message', error.message)}${details}${element('RequestId', requestId)}</Error>`;
}

function element(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function isoSeconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
