/**
 * Identity settings the local stack and `npm run token` share, so a token the
 * command prints is one the local JWT authorizer accepts.
 */

/** Expected `iss` claim. The local authorizer only compares it and never fetches from it. */
export const LOCAL_ISSUER = 'https://comm-local.invalid/issuer';

/** Expected `aud` claim, the audience the HTTP API's JWT authorizer is configured with. */
export const LOCAL_AUDIENCE = 'comm-api';

/** Claim that lists the caller's groups. The `ROLE_CLAIM` variable overrides it, as it does for the handlers. */
export const DEFAULT_ROLE_CLAIM = 'cognito:groups';

/** Group that makes the caller an admin. */
export const ADMIN_GROUP = 'comm-admin';

/** Group that makes the caller a moderator. */
export const MODERATOR_GROUP = 'comm-moderator';

/** Folder for persisted local data and the signing key, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.local';
