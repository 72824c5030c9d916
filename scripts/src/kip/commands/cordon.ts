// `kip cordon`: mark nodes unschedulable, so the scheduler places no new pods on them.
// `kip uncordon` (uncordon.ts) undoes it; `kip drain` starts with it.

import { resourceByKind, ApiStatusError, type Node } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { reportError, UsageError } from '../errors.js';
import { LABEL_SELECTOR_FLAG } from './common-flags.js';

const NODE = () => resourceByKind('Node')!;

/**
 * Sets spec.unschedulable with a merge patch and prints kubectl's line for it. Returns false if
 * the node could not be changed (the error is already printed).
 */
export async function setUnschedulable(ctx: Context, name: string, unschedulable: boolean): Promise<boolean> {
  const verb = unschedulable ? 'cordoned' : 'uncordoned';
  try {
    const node = await ctx.api.get<Node>(NODE(), undefined, name);
    if (Boolean(node.spec?.unschedulable) === unschedulable) {
      ctx.out(`node/${name} already ${verb}\n`);
      return true;
    }
    // null removes the field, which is how Kubernetes leaves a schedulable node.
    await ctx.api.mergePatch(NODE(), undefined, name, { spec: { unschedulable: unschedulable ? true : null } });
    ctx.out(`node/${name} ${verb}\n`);
    return true;
  } catch (err) {
    if (!(err instanceof ApiStatusError)) throw err;
    reportError(err, ctx.io.stderr, ctx.io.env);
    return false;
  }
}

/** Node names from the arguments, or every node matching -l. */
async function nodeNames(ctx: Context, args: string[]): Promise<string[]> {
  const selector = ctx.flags.str('selector');
  const names = args.map((a) => (a.startsWith('node/') ? a.slice('node/'.length) : a.startsWith('nodes/') ? a.slice('nodes/'.length) : a));
  if (names.length > 0 && selector) throw new UsageError('node names cannot be given together with a selector');
  if (names.length > 0) return names;
  if (!selector) throw new UsageError('a NODE name (or -l SELECTOR) is required');
  const list = await ctx.api.list<Node>(NODE(), undefined, { labelSelector: selector });
  return (list.items ?? []).map((n) => n.metadata.name);
}

/**
 * Does `act` to each node the arguments name (or -l selects), one after another, going on past a
 * node that fails; exit code 1 if any did. No node selected is not an error, as in kubectl.
 */
export async function forEachNode(ctx: Context, args: string[], act: (name: string) => Promise<boolean>): Promise<number> {
  const names = await nodeNames(ctx, args);
  if (names.length === 0) {
    ctx.err('No resources found\n');
    return 0;
  }
  let ok = true;
  for (const n of names) ok = (await act(n)) && ok;
  return ok ? 0 : 1;
}

export function schedulableCommand(unschedulable: boolean): Command['run'] {
  return (ctx, args) => forEachNode(ctx, args, (n) => setUnschedulable(ctx, n, unschedulable));
}

export const cordonCommand: Command = {
  name: 'cordon',
  group: 'cluster',
  summary: 'Mark node as unschedulable',
  usage: ['cordon NODE [NODE...] [flags]', 'cordon -l SELECTOR [flags]'],
  description: 'Mark a node unschedulable: the scheduler places no new pods on it; pods already there keep running (kip drain evicts them).',
  examples: ['  # Stop placing pods on node-1', '  kip cordon node-1'].join('\n'),
  flags: [LABEL_SELECTOR_FLAG],
  run: schedulableCommand(true),
};
