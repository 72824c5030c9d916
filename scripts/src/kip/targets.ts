// What the user named on the command line: `pods`, `po web-1 web-2`, `deploy,rs`, `pods/web-1
// deploy/web`, `all`. Resolved against the shared resource registry, as kubectl resolves them
// against discovery.

import { apiVersionOf, RESOURCES, resolveResource, type KObject, type ResourceType } from '@kip/shared';
import { CliError, UsageError } from './errors.js';

export interface Target {
  resource: ResourceType;
  /** Empty: the whole collection (filtered by selectors). */
  names: string[];
}

/** What `kip get all` means, as in kubectl: the workload kinds a user looks at first. */
export const ALL_CATEGORY = ['pods', 'services', 'daemonsets', 'deployments', 'replicasets', 'statefulsets', 'cronjobs', 'jobs'];

export function resolveType(name: string): ResourceType {
  const r = resolveResource(name);
  if (!r || name.trim() === '') throw new CliError(`the server doesn't have a resource type "${name}"`);
  return r;
}

/** `pod`, `deployment.apps`: the prefix of `-o name` output and of multi-kind tables. */
export function kindPrefix(r: ResourceType): string {
  return r.group ? `${r.kind.toLowerCase()}.${r.group}` : r.kind.toLowerCase();
}

/** `pods`, `deployments.apps`: how kubectl names a resource type in messages. */
export function qualifiedPlural(r: ResourceType): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

export interface ParsedTargets {
  targets: Target[];
  /** The user typed `all`: types the server does not serve are skipped silently. */
  all: boolean;
}

/**
 * Parses `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME...`. Same-type names given as TYPE/NAME are
 * grouped in the order first seen, as kubectl prints them.
 */
export function parseTargets(args: readonly string[], commandName: string): ParsedTargets {
  if (args.length === 0) return { targets: [], all: false };
  const first = args[0]!;
  if (first.includes('/')) {
    const targets: Target[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      if (slash < 0)
        throw new UsageError(
          `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kip ${commandName} resource/<resource_name>' instead of 'kip ${commandName} resource resource/<resource_name>'`,
        );
      const typeName = arg.slice(0, slash);
      const name = arg.slice(slash + 1);
      if (!typeName || !name || name.includes('/')) throw new UsageError(`arguments in resource/name form must have a single resource and name: "${arg}"`);
      const r = resolveType(typeName);
      const existing = targets.find((t) => t.resource.kind === r.kind);
      if (existing) existing.names.push(name);
      else targets.push({ resource: r, names: [name] });
    }
    return { targets, all: false };
  }
  const names = args.slice(1);
  for (const n of names) {
    if (n.includes('/'))
      throw new UsageError(
        `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kip ${commandName} resource/<resource_name>' instead of 'kip ${commandName} resource resource/<resource_name>'`,
      );
  }
  const typeNames = first.split(',').filter((t) => t !== '');
  if (typeNames.length === 0) throw new UsageError(`a resource type is required, got "${first}"`);
  let all = false;
  const targets: Target[] = [];
  for (const t of typeNames) {
    const isAll = t.toLowerCase() === 'all';
    if (isAll) all = true;
    const expanded = isAll ? ALL_CATEGORY : [t];
    for (const e of expanded) {
      const r = resolveType(e);
      if (!targets.some((x) => x.resource.kind === r.kind)) targets.push({ resource: r, names: [...names] });
    }
  }
  return { targets, all };
}

/** The registry in the order `api-resources` lists it. */
export function allResourceTypes(): readonly ResourceType[] {
  return [...RESOURCES].sort((a, b) => a.plural.localeCompare(b.plural));
}

/** Fills apiVersion and kind, which list items may leave out, so printers can rely on them. */
export function withTypeMeta<T extends KObject>(obj: T, r: ResourceType): T {
  if (obj.apiVersion && obj.kind) return obj;
  return { ...obj, apiVersion: obj.apiVersion || apiVersionOf(r), kind: obj.kind || r.kind };
}
