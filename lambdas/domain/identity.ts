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

  // Only the bracketed form is a list. Group names cannot contain whitespace
  // (Cognito's pattern excludes it) but may contain commas, so splitting on
  // commas would let a group named "x,comm-admin" grant the admin role.
  const trimmed = value.trim();
  const bracketed = trimmed.startsWith('[') && trimmed.endsWith(']');
  if (!bracketed) return trimmed === '' ? [] : [trimmed];
  return trimmed.slice(1, -1).split(/\s+/).filter((group) => group.length > 0);
}
