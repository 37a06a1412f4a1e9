import { Command } from 'commander';
import { globalRole, globalRoleBinding } from '../schema/types/global-role.js';
import { roleTemplate } from '../schema/types/role-template.js';
import { resourceVerbs } from './resource.js';

/**
 * Roles: role templates (what cluster and project members get), global roles and their bindings.
 * Plain CRUD, so every verb is derived from the schema (resource.ts). Roles' rules are lists of
 * PolicyRules, which have no flag shape: create those through the API or the web UI.
 */
export function rolesCommand(): Command {
  const r = new Command('roles').alias('role').description('role templates, global roles and their bindings');
  resourceVerbs(r, roleTemplate, { noun: 'role template', path: 'roles' });
  const g = r.command('global').description('global roles (what a user may do across the server)');
  resourceVerbs(g, globalRole, { noun: 'global role', path: 'roles global', create: true, rm: true });
  const b = r.command('bindings').description('global role bindings (which user holds which global role)');
  resourceVerbs(b, globalRoleBinding, {
    get: false,
    noun: 'global role binding',
    path: 'roles bindings',
    create: true,
    rm: true,
  });
  return r;
}
