import { describe, expect, it } from 'vitest';
import { TYPES, token, user } from '../../schema/types/index.js';
import { serve, v3Registry } from './registry.js';

describe('v3Registry', () => {
  it('serves the declared types in their declared order, each with its behaviour', () => {
    const logout = { collectionActions: {} };
    const reg = v3Registry([serve(token, logout), serve(user)], [user, token]);
    expect(reg.types.map((t) => t.id)).toEqual(['user', 'token']);
    expect(reg.behaviors.token).toBe(logout);
    expect(reg.behaviors.user).toEqual({});
  });

  it('refuses a declared type that is not served, a served type that is not declared, and a type served twice', () => {
    expect(() => v3Registry([serve(user)], [user, token])).toThrow(/not served: token/);
    expect(() => v3Registry([serve(user), serve(token)], [user])).toThrow(/not declared: token/);
    expect(() => v3Registry([serve(user), serve(user)], [user])).toThrow(/"user" is registered twice/);
  });

  it('is checked against every declared type by default', () => {
    expect(() => v3Registry(TYPES.slice(1).map((t) => serve(t)))).toThrow(/not served: user/);
    expect(v3Registry(TYPES.map((t) => serve(t))).types).toHaveLength(TYPES.length);
  });
});
