import { JwtVerifier } from 'aws-jwt-verify';
import { assertStringArraysOverlap } from 'aws-jwt-verify/assert';
import {
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidSignatureAlgorithmError,
  JwtNotBeforeError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  ParameterValidationError,
} from 'aws-jwt-verify/error';
import { findJwkInJwks, type Jwks, type JwksCache, type JwkWithKid } from 'aws-jwt-verify/jwk';
import type { JwtHeader, JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { Json, JsonObject } from 'aws-jwt-verify/safe-json-parse';

/**
 * Cache key for the in-memory JWKS. aws-jwt-verify needs some JWKS URI and
 * would otherwise derive one from the issuer, which fails when the issuer is not a URL.
 */
const IN_MEMORY_JWKS_URI = 'memory:local-jwks';

/** Signature algorithms API Gateway's JWT authorizer supports: RSA only. */
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'] as const;

/** `Bearer <token>` with any capitalization of the scheme, or the bare token, as API Gateway accepts both. */
const AUTHORIZATION_HEADER_PATTERN = /^(?:bearer\s+)?(\S+)$/i;

/** Settings of the emulated JWT authorizer, named as in API Gateway's `JwtConfiguration`. */
export interface JwtAuthorizerConfig {
  /** Expected `iss` claim, compared exactly. */
  readonly issuer: string;
  /** Accepted audiences: the token's `aud`, or its `client_id` when it has no `aud`, must contain one. */
  readonly audience: string | readonly string[];
  /** Trusted keys given in memory (the local stack); nothing is ever fetched. */
  readonly jwks?: Jwks;
  /** HTTPS URL of the identity provider's JWKS, fetched and cached when `jwks` is absent (Lambda). */
  readonly jwksUri?: string;
}

/** Outcome of one authorization. */
export type AuthorizerResult =
  | {
      readonly ok: true;
      /** Every claim as a string, as in `requestContext.authorizer.jwt.claims` of a payload 2.0 event. */
      readonly claims: Record<string, string>;
      /** Values of the `scope` claim or, when it is missing, the `scp` claim. Empty when the token has neither. */
      readonly scopes: string[];
    }
  | {
      readonly ok: false;
      /** Cause for logs: the aws-jwt-verify error class and message. It may quote claims but never the token. */
      readonly reason: string;
    };

/** The HTTP API's JWT authorizer rules, for the local gateway and the WebSocket authorizer function. */
export interface JwtAuthorizer {
  /** Verifies the token in an `Authorization` header value. */
  authorize(authorizationHeader: string | undefined): Promise<AuthorizerResult>;
}

/**
 * Creates an authorizer that checks tokens as API Gateway's HTTP API JWT
 * authorizer does. The signature must be RSA, by the key in `jwks` with the
 * token's `kid`, and match the JWK's `alg` when the JWK names one. Then it
 * checks `iss`, `aud` or `client_id`, `exp` (required), `nbf` and `iat` (both optional).
 *
 * No clock skew is allowed. aws-jwt-verify 5.2.1 defaults `graceSeconds` to 0,
 * and the token command and the local stack read the same clock.
 */
export function createJwtAuthorizer(config: JwtAuthorizerConfig): JwtAuthorizer {
  const audiences = typeof config.audience === 'string' ? [config.audience] : [...config.audience];
  if ((config.jwks === undefined) === (config.jwksUri === undefined)) {
    throw new Error('Set exactly one of jwks (in-memory keys) and jwksUri (the identity provider\'s JWKS URL)');
  }
  const properties = {
    issuer: config.issuer,
    // The audience is checked in checkApiGatewayRules, because API Gateway also accepts client_id.
    audience: null,
    jwksUri: config.jwksUri ?? IN_MEMORY_JWKS_URI,
    customJwtCheck: ({ header, payload }: { header: JwtHeader; payload: JwtPayload }) => checkApiGatewayRules(header, payload, audiences),
  };
  const verifier = config.jwks ? JwtVerifier.create(properties, { jwksCache: new InMemoryJwksCache(config.jwks) }) : JwtVerifier.create(properties);

  return {
    async authorize(authorizationHeader) {
      const headerValue = authorizationHeader?.trim() ?? '';
      if (headerValue === '') return { ok: false, reason: 'Missing Authorization header' };

      const token = AUTHORIZATION_HEADER_PATTERN.exec(headerValue)?.[1];
      if (token === undefined) {
        return { ok: false, reason: 'Invalid Authorization header: expected "Bearer <token>" or the bare token' };
      }

      let payload: JwtPayload;
      try {
        payload = await verifier.verify(token);
      } catch (error) {
        // A ParameterValidationError is a configuration mistake, not a bad token, so it propagates.
        const isTokenRejection = error instanceof JwtBaseError && !(error instanceof ParameterValidationError);
        if (!isTokenRejection) throw error;
        return { ok: false, reason: `${error.constructor.name}: ${error.message}` };
      }

      return { ok: true, claims: flattenClaims(payload), scopes: scopesOf(payload) };
    },
  };
}

/**
 * Applies the API Gateway rules that aws-jwt-verify does not: the algorithm
 * must be RSA, `exp` must be present, `iat` must not be in the future, and
 * `client_id` is checked when `aud` is missing. The errors reuse aws-jwt-verify's
 * classes, which it also throws for a missing claim.
 */
function checkApiGatewayRules(header: JwtHeader, payload: JwtPayload, audiences: readonly string[]): void {
  assertStringArraysOverlap('JWT signature algorithm', header.alg, RSA_ALGORITHMS, JwtInvalidSignatureAlgorithmError);

  if (payload.exp === undefined) {
    throw new JwtExpiredError('Missing exp claim: API Gateway rejects a JWT without an expiry', undefined);
  }

  const nowSeconds = Date.now() / 1000;
  if (payload.iat !== undefined && payload.iat > nowSeconds) {
    throw new JwtNotBeforeError(`Token issued in the future, at ${new Date(payload.iat * 1000).toISOString()}`, payload.iat);
  }

  const audienceClaim = payload.aud ?? payload.client_id;
  assertStringArraysOverlap('Audience', audienceClaim, audiences, JwtInvalidAudienceError);
}

/**
 * Converts claims the way API Gateway fills `jwt.claims` in payload 2.0:
 * strings stay as they are, numbers and booleans become their decimal or
 * `true`/`false` text, arrays become `[a b c]`, and objects and null become JSON.
 */
function flattenClaims(payload: JsonObject): Record<string, string> {
  return Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, flattenClaimValue(value)]));
}

function flattenClaimValue(value: Json): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(flattenClaimValue).join(' ')}]`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function scopesOf(payload: JwtPayload): string[] {
  const scopeClaim = payload.scope ?? payload.scp;
  if (typeof scopeClaim === 'string') return scopeClaim.split(' ').filter((scope) => scope.length > 0);
  if (Array.isArray(scopeClaim)) return scopeClaim.filter((scope): scope is string => typeof scope === 'string');
  return [];
}

/**
 * JWKS cache that serves only the key set it was given and never fetches.
 * aws-jwt-verify's SimpleJwksCache downloads the JWKS again on an unknown
 * `kid`, but here that token fails at once with KidNotFoundInJwksError.
 */
class InMemoryJwksCache implements JwksCache {
  private jwks: Jwks;

  constructor(jwks: Jwks) {
    this.jwks = jwks;
  }

  async getJwk(jwksUri: string, decomposedJwt: { header: JwtHeader }): Promise<JwkWithKid> {
    return this.getCachedJwk(jwksUri, decomposedJwt);
  }

  getCachedJwk(_jwksUri: string, decomposedJwt: { header: JwtHeader }): JwkWithKid {
    const { kid } = decomposedJwt.header;
    if (typeof kid !== 'string') throw new JwtWithoutValidKidError('JWT header has no kid');

    const jwk = findJwkInJwks(this.jwks, kid);
    if (!jwk) throw new KidNotFoundInJwksError(`JWK for kid ${kid} not found in the local JWKS`);
    return jwk;
  }

  /** Replaces the key set, because this cache contains exactly one. `verifier.cacheJwks` calls it. */
  addJwks(_jwksUri: string, jwks: Jwks): void {
    this.jwks = jwks;
  }

  async getJwks(): Promise<Jwks> {
    return this.jwks;
  }
}
