// `kip api-resources`: the kinds the cluster serves, their short names and API groups.

import { apiVersionOf, type ResourceType } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { UsageError } from '../errors.js';
import { parseOutputFormat } from '../printers/output.js';
import { tabify } from '../printers/tabwriter.js';
import { allResourceTypes, qualifiedPlural } from '../targets.js';

const VERBS = '[create delete get list patch update watch]';

/** The metrics API serves these read-only, for `kip top`. */
const METRICS_RESOURCES: ResourceType[] = [
  { kind: 'NodeMetrics', plural: 'nodes', singular: '', shortNames: [], group: 'metrics.k8s.io', version: 'v1beta1', namespaced: false },
  { kind: 'PodMetrics', plural: 'pods', singular: '', shortNames: [], group: 'metrics.k8s.io', version: 'v1beta1', namespaced: true },
];

async function run(ctx: Context, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError(`unexpected arguments: ${args.join(' ')}`);
  const format = parseOutputFormat(ctx.flags.str('output'), ['table', 'wide', 'name']);
  let types = [...allResourceTypes(), ...METRICS_RESOURCES];
  if (ctx.flags.has('namespaced')) types = types.filter((r) => r.namespaced === ctx.flags.bool('namespaced'));
  const group = ctx.flags.str('api-group');
  if (group !== undefined) types = types.filter((r) => r.group === group);
  if (format === 'name') {
    ctx.out(types.map((r) => qualifiedPlural(r) + '\n').join(''));
    return 0;
  }
  const rows = [['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(format === 'wide' ? ['VERBS'] : [])]];
  for (const r of types) {
    const verbs = r.group === 'metrics.k8s.io' ? '[get list]' : VERBS;
    rows.push([r.plural, r.shortNames.join(','), apiVersionOf(r), String(r.namespaced), r.kind, ...(format === 'wide' ? [verbs] : [])]);
  }
  ctx.out(tabify(rows.map((r) => r.join('\t') + '\n').join('')));
  return 0;
}

export const apiResourcesCommand: Command = {
  name: 'api-resources',
  group: 'other',
  summary: 'Print the supported API resources on the server',
  usage: ['api-resources [flags]'],
  examples: ['  # Every kind, with its short names', '  kip api-resources', '', '  # Only cluster-scoped kinds', '  kip api-resources --namespaced=false'].join(
    '\n',
  ),
  flags: [
    { name: 'output', short: 'o', type: 'string', valueName: 'format', description: 'Output format: wide or name.' },
    {
      name: 'namespaced',
      type: 'bool',
      default: true,
      description: 'With --namespaced=true only namespaced kinds, with false only cluster-scoped ones. All when not given.',
    },
    { name: 'api-group', type: 'string', valueName: 'string', description: 'Only kinds in this API group ("" for the core group).' },
  ],
  run,
};
