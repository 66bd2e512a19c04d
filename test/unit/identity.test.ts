import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../lambdas/domain/errors.js';
import { callerFromClaims, type RoleSettings } from '../../lambdas/domain/identity.js';

const SETTINGS: RoleSettings = { roleClaim: 'cognito:groups', adminGroup: 'comm-admin', moderatorGroup: 'comm-moderator' };

describe('callerFromClaims', () => {
  it.each([
    { case: 'flattened pair', groups: '[comm-admin comm-moderator]', isAdmin: true, isModerator: true },
    { case: 'flattened admin', groups: '[comm-admin]', isAdmin: true, isModerator: false },
    { case: 'flattened moderator', groups: '[comm-moderator]', isAdmin: false, isModerator: true },
    { case: 'flattened among others', groups: '[readers comm-moderator premium]', isAdmin: false, isModerator: true },
    { case: 'flattened empty', groups: '[]', isAdmin: false, isModerator: false },
    { case: 'real array', groups: ['comm-admin', 'comm-moderator'], isAdmin: true, isModerator: true },
    { case: 'array with non-strings', groups: [42, 'comm-moderator', null], isAdmin: false, isModerator: true },
    { case: 'single string', groups: 'comm-admin', isAdmin: true, isModerator: false },
    { case: 'comma in one group name', groups: 'x,comm-admin', isAdmin: false, isModerator: false },
    { case: 'comma inside the list form', groups: '[x,comm-admin]', isAdmin: false, isModerator: false },
    { case: 'longer group name', groups: '[comm-admins comm-moderator-trainee]', isAdmin: false, isModerator: false },
    { case: 'missing claim', groups: undefined, isAdmin: false, isModerator: false },
    { case: 'number claim', groups: 7, isAdmin: false, isModerator: false },
  ])('$case', ({ groups, isAdmin, isModerator }) => {
    const claims = { sub: 'alice', 'cognito:groups': groups };

    const caller = callerFromClaims(claims, SETTINGS);

    expect(caller).toEqual({ userId: 'alice', isAdmin, isModerator });
  });

  it('reads the configured claim', () => {
    const settings: RoleSettings = { roleClaim: 'roles', adminGroup: 'owner', moderatorGroup: 'mod' };
    const claims = { sub: 'bob', roles: '[owner]', 'cognito:groups': '[comm-admin comm-moderator]' };

    const caller = callerFromClaims(claims, settings);

    expect(caller).toEqual({ userId: 'bob', isAdmin: true, isModerator: false });
  });

  it.each([
    { case: 'no claims', claims: undefined },
    { case: 'missing sub', claims: { 'cognito:groups': '[comm-admin]' } },
    { case: 'empty sub', claims: { sub: '' } },
    { case: 'numeric sub', claims: { sub: 42 } },
  ])('rejects $case', ({ claims }) => {
    const build = () => callerFromClaims(claims, SETTINGS);

    expect(build).toThrow(UnauthorizedError);
    expect(build).toThrow('The token has no sub claim');
  });
});
