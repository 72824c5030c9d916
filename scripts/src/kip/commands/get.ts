// `kip get`: list or fetch objects of one or more kinds and print them as kubectl does.

import { kindDefinition, ApiStatusError, type KObject } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { CliError, reportError, UsageError } from '../errors.js';
import { GET_FORMATS, parseOutput, printObjects } from '../printers/output.js';
import { renderTable, type TableOptions } from '../printers/table.js';
import { kindPrefix, parseTargets, withTypeMeta, type Target } from '../targets.js';
import { compareByPath } from './sort-by.js';
import { runWatch } from './get-watch.js';
import { OUTPUT_FLAG, SELECTOR_FLAGS, ALL_NAMESPACES_FLAG } from './common-flags.js';

/** "No resources found in default namespace." or, across namespaces or for nodes, "No resources found". */
export function noResourcesMessage(targets: readonly Target[], namespace: string, allNamespaces: boolean): string {
  const namespaced = targets.some((t) => t.resource.namespaced);
  return namespaced && !allNamespaces ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n';
}

interface Fetched {
  target: Target;
  objects: KObject[];
}

async function fetchTarget(ctx: Context, target: Target, allNamespaces: boolean, skipUnserved: boolean): Promise<{ fetched: Fetched; failed: boolean }> {
  const r = target.resource;
  const objects: KObject[] = [];
  let failed = false;
  if (target.names.length > 0) {
    for (const name of target.names) {
      try {
        objects.push(withTypeMeta(await ctx.api.get(r, ctx.namespace, name), r));
      } catch (err) {
        if (err instanceof ApiStatusError && err.isNotFound && ctx.flags.bool('ignore-not-found')) continue;
        if (!(err instanceof ApiStatusError)) throw err;
        reportError(err, ctx.io.stderr, ctx.io.env);
        failed = true;
      }
    }
    return { fetched: { target, objects }, failed };
  }
  try {
    const list = await ctx.api.list(r, allNamespaces ? undefined : ctx.namespace, {
      labelSelector: ctx.flags.str('selector'),
      fieldSelector: ctx.flags.str('field-selector'),
    });
    for (const item of list.items ?? []) objects.push(withTypeMeta(item, r));
  } catch (err) {
    // A collection that 404s is a kind this server does not serve (yet).
    if (err instanceof ApiStatusError && err.httpCode === 404) {
      if (skipUnserved) return { fetched: { target, objects }, failed };
      throw new CliError(`the server doesn't have a resource type "${r.plural}"`);
    }
    throw err;
  }
  return { fetched: { target, objects }, failed };
}

function tableOptions(ctx: Context, wide: boolean, allNamespaces: boolean): TableOptions {
  return {
    wide,
    withNamespace: allNamespaces,
    showLabels: ctx.flags.bool('show-labels'),
    labelColumns: ctx.flags.list('label-columns'),
    noHeaders: ctx.flags.bool('no-headers'),
    now: ctx.now(),
  };
}

async function run(ctx: Context, args: string[]): Promise<number> {
  const output = parseOutput(ctx.flags.str('output'), GET_FORMATS);
  const format = output.format;
  const { targets, all } = parseTargets(args, 'get');
  if (targets.length === 0)
    throw new UsageError('You must specify the type of resource to get. Use "kip api-resources" for a complete list of supported resources.');
  const allNamespaces = ctx.flags.bool('all-namespaces');
  const named = targets.some((t) => t.names.length > 0);
  if (named && ctx.flags.str('selector')) throw new UsageError('name cannot be provided when a selector is specified');
  if (named && allNamespaces && targets.some((t) => t.resource.namespaced))
    throw new UsageError('a resource cannot be retrieved by name across all namespaces');

  if (ctx.flags.bool('watch') || ctx.flags.bool('watch-only')) return runWatch(ctx, targets, output, allNamespaces);

  let failed = false;
  const results: Fetched[] = [];
  for (const t of targets) {
    const r = await fetchTarget(ctx, t, allNamespaces, all);
    failed ||= r.failed;
    results.push(r.fetched);
  }
  const sortBy = ctx.flags.str('sort-by');
  for (const res of results) {
    if (sortBy) res.objects.sort(compareByPath(sortBy));
    else res.objects = kindDefinition(res.target.resource.kind)?.listOrder?.(res.objects as never) ?? res.objects;
  }
  const total = results.reduce((n, r) => n + r.objects.length, 0);

  if (format !== 'table' && format !== 'wide') {
    const single = results.length === 1 && targets[0]!.names.length === 1;
    const objects = results.flatMap((r) => r.objects);
    const tabular = format === 'name' || format === 'custom-columns';
    if (tabular && total === 0 && !failed && !named) ctx.err(noResourcesMessage(targets, ctx.namespace, allNamespaces));
    if ((single || tabular) && objects.length === 0) return failed ? 1 : 0;
    ctx.out(printObjects(output, objects, single, ctx.flags.bool('no-headers')));
    return failed ? 1 : 0;
  }

  if (total === 0) {
    if (!failed && !named) ctx.err(noResourcesMessage(targets, ctx.namespace, allNamespaces));
    return failed ? 1 : 0;
  }
  const multiKind = results.length > 1 || ctx.flags.bool('show-kind');
  const tables: string[] = [];
  for (const res of results) {
    if (res.objects.length === 0) continue;
    const opts = tableOptions(ctx, format === 'wide', allNamespaces && res.target.resource.namespaced);
    if (multiKind) opts.kindPrefix = kindPrefix(res.target.resource);
    tables.push(renderTable(res.target.resource.kind, res.objects, opts));
  }
  ctx.out(tables.join('\n'));
  return failed ? 1 : 0;
}

export const getCommand: Command = {
  name: 'get',
  group: 'basic',
  summary: 'Display one or many resources',
  usage: ['get [(-o|--output=)json|yaml|name|wide|jsonpath=...|custom-columns=...] (TYPE[.GROUP][,TYPE...] [NAME ...] | TYPE[.GROUP]/NAME ...) [flags]'],
  description:
    'Display one or many resources. Prints a table of the most important information about the resources; ' +
    'use -o for other formats and -w to keep printing changes.\n\n' +
    'Resource types: nodes (no), pods (po), deployments (deploy), replicasets (rs), events (ev), services (svc), endpoints (ep), all.',
  examples: [
    '  # List all pods in the default namespace, with their node and IP',
    '  kip get pods -o wide',
    '',
    '  # List deployments and their replica sets in every namespace',
    '  kip get deploy,rs -A',
    '',
    '  # Show one pod as YAML, or several by type/name',
    '  kip get pod web-7d4b9-x2x9z -o yaml',
    '  kip get pods/web-1 deploy/web',
    '',
    '  # Pods with a label, on one node, and their labels',
    '  kip get pods -l app=web --field-selector spec.nodeName=node-1 --show-labels',
    '',
    '  # Which node each pod runs on, for scripts',
    '  kip get pods -o jsonpath=\'{range .items[*]}{.metadata.name}{"\\t"}{.spec.nodeName}{"\\n"}{end}\'',
    '  kip get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,IP:.status.podIP',
    '',
    '  # Watch pods change',
    '  kip get pods -w',
  ].join('\n'),
  flags: [
    { ...OUTPUT_FLAG, description: 'Output format: json, yaml, name, wide, jsonpath=TEMPLATE or custom-columns=HEADER:PATH,...' },
    ...SELECTOR_FLAGS,
    ALL_NAMESPACES_FLAG,
    { name: 'watch', short: 'w', type: 'bool', description: 'After listing/getting the requested object, watch for changes.' },
    { name: 'watch-only', type: 'bool', description: 'Watch for changes to the requested object(s), without listing/getting first.' },
    { name: 'output-watch-events', type: 'bool', description: 'Output watch event objects when --watch or --watch-only is used.' },
    { name: 'show-labels', type: 'bool', description: 'When printing, show all labels as the last column.' },
    {
      name: 'label-columns',
      short: 'L',
      type: 'strings',
      valueName: 'strings',
      description: 'Label keys to present as columns (-L app -L tier, or -L app,tier).',
    },
    { name: 'show-kind', type: 'bool', description: 'List the resource type for the requested object(s).' },
    { name: 'no-headers', type: 'bool', description: 'Do not print headers.' },
    { name: 'sort-by', type: 'string', valueName: 'string', description: 'Sort list types by a field path, e.g. .metadata.name or .status.startTime.' },
    { name: 'ignore-not-found', type: 'bool', description: 'Treat "resource not found" as a successful retrieval.' },
  ],
  run,
};
