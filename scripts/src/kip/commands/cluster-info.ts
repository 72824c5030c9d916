// `kip cluster-info`: where the API is, and whether it answers.

import { isNodeReady, resourceByKind, type Node } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { UsageError } from '../errors.js';

async function run(ctx: Context, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError(`unexpected arguments: ${args.join(' ')}`);
  const nodes = await ctx.api.list<Node>(resourceByKind('Node')!, undefined);
  const items = nodes.items ?? [];
  const ready = items.filter(isNodeReady).length;
  const server = ctx.api.url.href.replace(/\/$/, '');
  ctx.out(`kip control plane is running at ${server}\n`);
  ctx.out(`Nodes: ${items.length} (${ready} Ready)\n`);
  ctx.out(`\nTo further debug and diagnose cluster problems, use 'kip describe nodes' and 'kip get events -A'.\n`);
  return 0;
}

export const clusterInfoCommand: Command = {
  name: 'cluster-info',
  group: 'cluster',
  summary: 'Display cluster information',
  usage: ['cluster-info [flags]'],
  description: 'Print the address of the control plane and how many nodes it has.',
  examples: [
    '  # Where is the API, and is it up?',
    '  kip cluster-info',
    '',
    '  # The same for a cluster on another port',
    '  kip cluster-info --server http://127.0.0.1:7171',
  ].join('\n'),
  flags: [],
  run,
};
