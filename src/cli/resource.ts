import { Command, Option } from 'commander';
import type { TypeDef } from '../schema/schema.js';
import { createFlags, optionSpec, type DerivedFlag } from './schema-flags.js';
import { examples, listing, output, remote, run } from './verbs.js';

/**
 * Verbs derived from a type's schema declaration: `ls` (columns from `columns`), `get`, `rm`,
 * `create` (one flag per creatable field). Groups use these for the plain CRUD of a type and declare
 * by hand only what the schema cannot say (positional names, files, durations, lookups by name).
 */

const actions = () => import('./actions/resource.js');

/** Adds the flags derived from `type`'s creatable fields, except `omit`. */
export function addCreateFlags(cmd: Command, type: TypeDef, omit: readonly string[] = []): Command {
  for (const f of createFlags(type, omit)) cmd.addOption(optionOf(f));
  return cmd;
}

function optionOf(f: DerivedFlag): Option {
  const o = new Option(optionSpec(f), f.description);
  if (f.kind === 'enum' && f.choices) o.choices(f.choices);
  // Repeatable: each use adds one element (or one key=value).
  if (f.kind === 'array' || f.kind === 'map')
    o.argParser((v: string, prev: unknown) => [...((prev as string[]) ?? []), v]);
  return o;
}

export interface ResourceVerbs {
  ls?: boolean;
  get?: boolean;
  rm?: boolean;
  /** Declare `create`, one flag per creatable field of the schema. */
  create?: boolean;
  /** What one object is called in help ("global role"). */
  noun: string;
  /** The group's name as typed (`roles global`), for examples. */
  path: string;
}

export function resourceVerbs(group: Command, type: TypeDef, v: ResourceVerbs): Command {
  const bound = (name: string) => run(actions, name, type.id);
  if (v.ls !== false)
    examples(listing(group.command('ls').description(`list ${v.noun}s`)), `corral ${v.path} ls`).action(
      bound('resourceLs'),
    );
  if (v.get !== false)
    examples(
      output(group.command('get').description(`show one ${v.noun}`).argument('<id>', `${v.noun} id`)),
      `corral ${v.path} get <id> -o yaml`,
    ).action(bound('resourceGet'));
  if (v.create)
    examples(
      addCreateFlags(output(group.command('create').description(`create a ${v.noun}`)), type),
      `corral ${v.path} create --help`,
    ).action(bound('resourceCreate'));
  if (v.rm)
    examples(
      remote(group.command('rm').description(`delete a ${v.noun}`).argument('<id>', `${v.noun} id`)),
      `corral ${v.path} rm <id>`,
    ).action(bound('resourceRm'));
  return group;
}
