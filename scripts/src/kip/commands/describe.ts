// `kip describe`: one object in detail with what relates to it (its events, a node's pods, a
// deployment's replica sets, a service's endpoints), laid out as kubectl describe lays it out.

import {
  kindDefinition,
  resourceByKind,
  sortEvents,
  ApiStatusError,
  ConnectionError,
  type Event,
  type KObject,
  type List,
  type NetworkChaos,
  type NodeChaos,
  type RelatedQuery,
  type ResourceType,
} from '@kip/shared';
import type { Command, Context } from '../command.js';
import { describeChaos } from '../describe/chaos.js';
import { describeText, type DescribeEnv } from '../describe/writer.js';
import { reportError, UsageError } from '../errors.js';
import { parseTargets, withTypeMeta } from '../targets.js';
import { ALL_NAMESPACES_FLAG, LABEL_SELECTOR_FLAG } from './common-flags.js';
import { noResourcesMessage } from './get.js';

/** Related lookups are best effort, as in kubectl: a failure leaves a section empty. Only an unreachable server stops describe. */
async function bestEffort<T>(fallback: T, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof ConnectionError) throw err;
    return fallback;
  }
}

async function listItems<T extends KObject>(f: () => Promise<List<T>>): Promise<T[]> {
  return bestEffort([] as T[], async () => (await f()).items ?? []);
}

export async function eventsFor(ctx: Context, obj: KObject): Promise<Event[]> {
  const events = resourceByKind('Event')!;
  const r = resourceByKind(obj.kind);
  const namespace = r?.namespaced ? obj.metadata.namespace : undefined;
  const items = await listItems(() =>
    ctx.api.list<Event>(events, namespace, { fieldSelector: `involvedObject.kind=${obj.kind},involvedObject.name=${obj.metadata.name}` }),
  );
  // Events of an earlier object with the same name carry another uid.
  const uid = obj.metadata.uid;
  return sortEvents(items.filter((e) => !uid || !e.involvedObject?.uid || e.involvedObject.uid === uid));
}

/** Describers that live with the CLI rather than with their kind. */
const CLI_DESCRIBERS: Record<string, (obj: KObject, events: readonly Event[], env: DescribeEnv) => string> = {
  NodeChaos: (obj, events, env) => describeChaos(obj as NodeChaos, events, env),
  NetworkChaos: (obj, events, env) => describeChaos(obj as NetworkChaos, events, env),
};

/** One related lookup of a kind's describer: a list, or the one object by name (none when missing). */
async function fetchRelated(ctx: Context, q: RelatedQuery): Promise<KObject[]> {
  const r = resourceByKind(q.kind);
  if (!r) return [];
  if (q.name !== undefined) {
    const name = q.name;
    const one = await bestEffort<KObject | undefined>(undefined, () => ctx.api.get(r, q.namespace, name));
    return one ? [one] : [];
  }
  return listItems(() => ctx.api.list(r, q.namespace, q.fieldSelector === undefined ? {} : { fieldSelector: q.fieldSelector }));
}

async function describeOne(ctx: Context, r: ResourceType, obj: KObject, env: DescribeEnv): Promise<string> {
  const events = await eventsFor(ctx, obj);
  const typed = withTypeMeta(obj, r);
  const cliOnly = CLI_DESCRIBERS[obj.kind];
  if (cliOnly) return cliOnly(typed, events, env);
  const objects: Record<string, KObject[]> = {};
  for (const [key, q] of Object.entries(kindDefinition(obj.kind)?.describe?.related?.(obj as never) ?? {})) objects[key] = await fetchRelated(ctx, q);
  return describeText(typed, { events, objects }, env);
}

/** kubectl describe treats a name that matches nothing as a prefix: `describe pod web` finds web-7d4b9-x2x9z. */
async function findByPrefix(ctx: Context, r: ResourceType, prefix: string): Promise<KObject[]> {
  const list = await ctx.api.list(r, ctx.namespace);
  return (list.items ?? []).filter((o) => o.metadata.name.startsWith(prefix)).map((o) => withTypeMeta(o, r));
}

async function run(ctx: Context, args: string[]): Promise<number> {
  const { targets } = parseTargets(args, 'describe');
  if (targets.length === 0)
    throw new UsageError('You must specify the type of resource to describe. Use "kip api-resources" for a complete list of supported resources.');
  const allNamespaces = ctx.flags.bool('all-namespaces');
  const selector = ctx.flags.str('selector');
  const env: DescribeEnv = { now: ctx.now() };
  const outputs: string[] = [];
  let failed = false;
  let found = 0;
  for (const t of targets) {
    const r = t.resource;
    let objects: KObject[] = [];
    if (t.names.length === 0) {
      const list = await ctx.api.list(r, allNamespaces ? undefined : ctx.namespace, { labelSelector: selector });
      objects = (list.items ?? []).map((o) => withTypeMeta(o, r));
    } else {
      if (selector) throw new UsageError('name cannot be provided when a selector is specified');
      for (const name of t.names) {
        try {
          objects.push(withTypeMeta(await ctx.api.get(r, ctx.namespace, name), r));
        } catch (err) {
          if (!(err instanceof ApiStatusError) || !err.isNotFound) throw err;
          const matches = await findByPrefix(ctx, r, name);
          if (matches.length === 0) {
            reportError(err, ctx.io.stderr, ctx.io.env);
            failed = true;
          }
          objects.push(...matches);
        }
      }
    }
    found += objects.length;
    for (const obj of objects) outputs.push(await describeOne(ctx, r, obj, env));
  }
  if (found === 0 && !failed) ctx.err(noResourcesMessage(targets, ctx.namespace, allNamespaces));
  ctx.out(outputs.join('\n\n'));
  return failed ? 1 : 0;
}

export const describeCommand: Command = {
  name: 'describe',
  group: 'debug',
  summary: 'Show details of a specific resource or group of resources',
  usage: ['describe (TYPE [NAME_PREFIX | -l label] | TYPE/NAME) [flags]'],
  description:
    'Show details of a resource and what relates to it: conditions, containers and their state, ' +
    "the pods on a node and their requests, a deployment's replica sets, and the object's recent events.\n" +
    'A NAME that matches no object is taken as a prefix: `kip describe pods web` describes every pod whose name starts with "web".',
  examples: [
    '  # Describe a node, with its pods and allocated resources',
    '  kip describe node node-1',
    '',
    '  # Describe a pod, or every pod of a deployment by name prefix',
    '  kip describe pod web-7d4b9-x2x9z',
    '  kip describe pods web',
    '',
    '  # Describe pods by label',
    '  kip describe pods -l app=web',
  ].join('\n'),
  flags: [LABEL_SELECTOR_FLAG, ALL_NAMESPACES_FLAG],
  run,
};
