import { UnauthorizedError } from './errors.js';

/** The caller, from the JWT claims the API Gateway authorizer verified. */
export interface Caller {
  readonly userId: string;
  readonly isAdmin: boolean;
  readonly isModerator: boolean;
}

export interface RoleSettings {
  /** Claim that lists the caller's groups. @default 'cognito:groups' */
  readonly roleClaim: string;
  readonly adminGroup: string;
  readonly moderatorGroup: string;
}

/**
 * Builds the caller from authorizer claims. HTTP API payload 2.0 turns every
 * claim into a string and an array claim into `[a b c]`, so both that form
 * and a real array (or a single group name) are accepted.
 */
export function callerFromClaims(claims: Record<string, unknown> | undefined, settings: RoleSettings): Caller {
  const userId = claims?.sub;
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new UnauthorizedError('The token has no sub claim');
  }

  const groups = parseGroups(claims?.[settings.roleClaim]);
  return {
    userId,
    isAdmin: groups.includes(settings.adminGroup),
    isModerator: groups.includes(settings.moderatorGroup),
  };
}

function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  if (typeof value !== 'string') return [];

  const trimmed = value.trim();
  const bracketed = trimmed.startsWith('[') && trimmed.endsWith(']');
  const inner = bracketed ? trimmed.slice(1, -1) : trimmed;
  return inner.split(/[\s,]+/).filter((group) => group.length > 0);
}
