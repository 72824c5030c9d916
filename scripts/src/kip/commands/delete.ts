// `kip delete`: by type and name, by label, --all, or the objects of manifests; graceful by
// default, then waits until they are gone (a pod goes once its node has stopped it).

import { ApiStatusError, type KObject } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { reportError, UsageError } from '../errors.js';
import { loadManifests, prepareManifest } from '../manifests.js';
import { parseTargets, type Target } from '../targets.js';
import { waitUntilGone, type Deleted } from '../wait.js';
import { ALL_NAMESPACES_FLAG, FILENAME_FLAG, GRACE_PERIOD_FLAG, LABEL_SELECTOR_FLAG, RECURSIVE_FLAG } from './common-flags.js';

export const IMMEDIATE_DELETION_WARNING =
  'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n';

/** The grace period to send: --now is 1s, --force is 0, -1 leaves it to the object. */
export function gracePeriodFrom(ctx: Context): number | undefined {
  let grace = ctx.flags.int('grace-period') ?? -1;
  if (ctx.flags.bool('now')) {
    if (grace >= 0) throw new UsageError('--now and --grace-period cannot be specified together');
    grace = 1;
  }
  if (ctx.flags.bool('force') && grace < 0) grace = 0;
  return grace >= 0 ? grace : undefined;
}

interface Victim {
  target: Target;
  namespace?: string;
  name: string;
}

async function victimsFromArgs(ctx: Context, args: string[]): Promise<{ victims: Victim[]; failed: boolean }> {
  const { targets } = parseTargets(args, 'delete');
  const selector = ctx.flags.str('selector');
  const all = ctx.flags.bool('all');
  const allNamespaces = ctx.flags.bool('all-namespaces');
  const victims: Victim[] = [];
  for (const t of targets) {
    const r = t.resource;
    if (t.names.length > 0) {
      if (selector || all) throw new UsageError('name cannot be provided when a selector or --all is specified');
      for (const name of t.names) victims.push({ target: t, name, ...(r.namespaced ? { namespace: ctx.namespace } : {}) });
      continue;
    }
    if (!selector && !all) throw new UsageError(`resource(s) were provided, but no name was specified (use a name, -l SELECTOR or --all)`);
    const list = await ctx.api.list(r, allNamespaces ? undefined : ctx.namespace, { labelSelector: selector, fieldSelector: ctx.flags.str('field-selector') });
    for (const o of list.items ?? [])
      victims.push({ target: t, name: o.metadata.name, ...(r.namespaced ? { namespace: o.metadata.namespace ?? ctx.namespace } : {}) });
  }
  return { victims, failed: false };
}

async function victimsFromFiles(ctx: Context, files: string[]): Promise<{ victims: Victim[]; failed: boolean }> {
  const docs = await loadManifests(files, ctx.io, ctx.flags.bool('recursive'));
  const victims: Victim[] = [];
  let failed = false;
  for (const doc of docs) {
    try {
      const m = prepareManifest(doc, { namespace: ctx.namespace, namespaceGiven: ctx.namespaceGiven, validate: false });
      victims.push({
        target: { resource: m.resource, names: [m.object.metadata.name] },
        name: m.object.metadata.name,
        ...(m.namespace ? { namespace: m.namespace } : {}),
      });
    } catch (err) {
      failed = true;
      reportError(err, ctx.io.stderr, ctx.io.env);
    }
  }
  return { victims, failed };
}

async function run(ctx: Context, args: string[]): Promise<number> {
  const files = ctx.flags.list('filename');
  if (files.length > 0 && args.length > 0) throw new UsageError('resource names cannot be given together with -f');
  if (files.length === 0 && args.length === 0) throw new UsageError('You must provide one or more resources by argument or filename.');
  const grace = gracePeriodFrom(ctx);
  const { victims, failed: prepFailed } = files.length > 0 ? await victimsFromFiles(ctx, files) : await victimsFromArgs(ctx, args);
  let failed = prepFailed;
  if (grace === 0) ctx.err(IMMEDIATE_DELETION_WARNING);
  if (victims.length === 0 && !failed && files.length === 0) {
    ctx.err('No resources found\n');
    return 0;
  }
  const deleted: Deleted[] = [];
  const ignoreNotFound = ctx.flags.bool('ignore-not-found');
  for (const v of victims) {
    const r = v.target.resource;
    try {
      const obj = (await ctx.api.delete<KObject>(r, v.namespace, v.name, grace)) as KObject | undefined;
      ctx.out(`${r.kind.toLowerCase()}${r.group ? `.${r.group}` : ''} "${v.name}" deleted\n`);
      const uid = obj && typeof obj === 'object' && obj.metadata ? obj.metadata.uid : undefined;
      deleted.push({ resource: r, name: v.name, ...(v.namespace ? { namespace: v.namespace } : {}), ...(uid ? { uid } : {}) });
    } catch (err) {
      if (err instanceof ApiStatusError && err.isNotFound && ignoreNotFound) continue;
      if (!(err instanceof ApiStatusError)) throw err;
      failed = true;
      reportError(err, ctx.io.stderr, ctx.io.env);
    }
  }
  if (ctx.flags.bool('wait') && deleted.length > 0) {
    await waitUntilGone(ctx.api, deleted, {
      timeoutMs: ctx.flags.duration('timeout') ?? 0,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      now: () => ctx.now(),
    });
  }
  return failed ? 1 : 0;
}

export const deleteCommand: Command = {
  name: 'delete',
  group: 'basic',
  summary: 'Delete resources by file names, stdin, resources and names, or by resources and label selector',
  usage: ['delete ([-f FILENAME] | TYPE [(NAME | -l label | --all)]) [flags]'],
  description:
    'Delete resources. Pods are deleted gracefully: they get their termination grace period to stop, and kip delete ' +
    'waits until they are gone (--wait=false returns at once). --force (or --grace-period=0) removes them at once, ' +
    'without waiting for the node to confirm that the processes have stopped.',
  examples: [
    '  # Delete a pod, and one given as type/name',
    '  kip delete pod web-7d4b9-x2x9z',
    '  kip delete deploy/web',
    '',
    '  # Delete the objects of a manifest',
    '  kip delete -f web.yaml',
    '',
    '  # Delete pods by label, without waiting',
    '  kip delete pods -l app=web --wait=false',
    '',
    '  # Delete every pod in the namespace at once',
    '  kip delete pods --all --force',
  ].join('\n'),
  flags: [
    FILENAME_FLAG,
    RECURSIVE_FLAG,
    LABEL_SELECTOR_FLAG,
    { name: 'field-selector', type: 'string', valueName: 'string', description: 'Field selector to choose what --all or -l deletes.' },
    { name: 'all', type: 'bool', description: 'Delete all resources of the given types in the namespace.' },
    ALL_NAMESPACES_FLAG,
    GRACE_PERIOD_FLAG,
    { name: 'force', type: 'bool', description: 'Remove the objects from the API at once (grace period 0), without waiting for their processes to stop.' },
    { name: 'now', type: 'bool', description: 'Ask the objects to stop immediately (grace period 1).' },
    { name: 'wait', type: 'bool', default: true, description: 'Wait for the objects to be gone before returning.' },
    {
      name: 'timeout',
      type: 'duration',
      default: 0,
      valueName: 'duration',
      description: 'How long to wait for the objects to be gone; 0 waits as long as it takes.',
    },
    { name: 'ignore-not-found', type: 'bool', description: 'Treat "resource not found" as a successful delete.' },
  ],
  run,
};
