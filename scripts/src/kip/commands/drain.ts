// `kip drain`: cordon a node, then delete every pod on it and wait until they are gone, so their
// controllers recreate them elsewhere. Pods no controller would recreate are refused unless --force.

import { controllerOf, resourceByKind, ApiStatusError, ClientError, type Pod } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { reportError } from '../errors.js';
import { waitUntilGone, type Deleted } from '../wait.js';
import { GRACE_PERIOD_FLAG, LABEL_SELECTOR_FLAG } from './common-flags.js';
import { forEachNode, setUnschedulable } from './cordon.js';

const POD = () => resourceByKind('Pod')!;
const key = (p: Pod) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;

export interface DrainPlan {
  /** Pods to delete. */
  evict: Pod[];
  /** Refusals: why the node cannot be drained as asked. */
  errors: string[];
  warnings: string[];
}

/** Decides which pods of a node drain deletes, as kubectl's drain filters decide. */
export function planDrain(pods: readonly Pod[], opts: { force: boolean; ignoreDaemonSets: boolean }): DrainPlan {
  const evict: Pod[] = [];
  const unmanaged: Pod[] = [];
  const daemons: Pod[] = [];
  for (const p of pods) {
    // As kubectl's filters: a finished pod can always be removed; nothing would run it again anyway.
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') {
      evict.push(p);
      continue;
    }
    const owner = controllerOf(p);
    if (owner?.kind === 'DaemonSet') daemons.push(p);
    else if (!owner) {
      unmanaged.push(p);
      if (opts.force) evict.push(p);
    } else evict.push(p);
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  if (unmanaged.length > 0) {
    if (opts.force) warnings.push(`deleting Pods that declare no controller: ${unmanaged.map(key).join(', ')}`);
    else errors.push(`cannot delete Pods that declare no controller (use --force to override): ${unmanaged.map(key).join(', ')}`);
  }
  if (daemons.length > 0) {
    if (opts.ignoreDaemonSets) warnings.push(`ignoring DaemonSet-managed Pods: ${daemons.map(key).join(', ')}`);
    else errors.push(`cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemons.map(key).join(', ')}`);
  }
  return { evict, errors, warnings };
}

async function drainNode(ctx: Context, node: string, grace: number | undefined): Promise<boolean> {
  if (!(await setUnschedulable(ctx, node, true))) return false;
  const selector = ctx.flags.str('pod-selector');
  const list = await ctx.api.list<Pod>(POD(), undefined, { fieldSelector: `spec.nodeName=${node}`, labelSelector: selector });
  const plan = planDrain(list.items ?? [], { force: ctx.flags.bool('force'), ignoreDaemonSets: ctx.flags.bool('ignore-daemonsets') });
  if (plan.errors.length > 0) {
    ctx.err(
      `error: unable to drain node "${node}" due to error: ${plan.errors.join(', ')}, continuing command...\n` +
        `There are pending nodes to be drained:\n ${node}\n${plan.errors.join('\n')}\n`,
    );
    return false;
  }
  for (const w of plan.warnings) ctx.err(`Warning: ${w}\n`);
  const deleted: Deleted[] = [];
  let ok = true;
  for (const p of plan.evict) {
    ctx.out(`evicting pod ${key(p)}\n`);
    try {
      await ctx.api.delete(POD(), p.metadata.namespace, p.metadata.name, grace);
      deleted.push({
        resource: POD(),
        namespace: p.metadata.namespace ?? 'default',
        name: p.metadata.name,
        ...(p.metadata.uid ? { uid: p.metadata.uid } : {}),
      });
    } catch (err) {
      if (err instanceof ApiStatusError && err.isNotFound) {
        ctx.out(`pod/${p.metadata.name} evicted\n`);
        continue;
      }
      if (!(err instanceof ApiStatusError)) throw err;
      ok = false;
      reportError(err, ctx.io.stderr, ctx.io.env, `error when evicting pods/"${p.metadata.name}" -n "${p.metadata.namespace ?? 'default'}"`);
    }
  }
  try {
    await waitUntilGone(ctx.api, deleted, {
      timeoutMs: ctx.flags.duration('timeout') ?? 0,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      now: () => ctx.now(),
      onGone: (d) => ctx.out(`pod/${d.name} evicted\n`),
    });
  } catch (err) {
    if (!(err instanceof ClientError)) throw err;
    ctx.err(`error: unable to drain node "${node}" due to error: ${err.message}\n`);
    return false;
  }
  if (ctx.signal?.aborted) return false;
  if (ok) ctx.out(`node/${node} drained\n`);
  return ok;
}

async function run(ctx: Context, args: string[]): Promise<number> {
  const gp = ctx.flags.int('grace-period') ?? -1;
  const grace = gp >= 0 ? gp : undefined;
  return forEachNode(ctx, args, (n) => drainNode(ctx, n, grace));
}

export const drainCommand: Command = {
  name: 'drain',
  group: 'cluster',
  summary: 'Drain node in preparation for maintenance',
  usage: ['drain NODE [flags]'],
  description:
    'Cordon a node, then delete every pod on it, each with its grace period, and wait until they are gone; ' +
    'their controllers recreate them on other nodes. Pods without a controller would be lost, so drain refuses ' +
    'them unless --force. Uncordon the node afterwards to use it again.',
  examples: [
    '  # Drain node-1, giving pods 5 seconds to stop, and at most a minute in all',
    '  kip drain node-1 --ignore-daemonsets --grace-period=5 --timeout=60s',
    '',
    '  # Drain even pods that no controller will recreate',
    '  kip drain node-1 --force',
  ].join('\n'),
  flags: [
    { name: 'force', type: 'bool', description: 'Also delete pods that declare no controller; they will not come back.' },
    { name: 'ignore-daemonsets', type: 'bool', description: 'Leave DaemonSet-managed pods alone (accepted for kubectl compatibility).' },
    { name: 'delete-emptydir-data', type: 'bool', description: 'Accepted for kubectl compatibility; kip pods have no emptyDir volumes.' },
    GRACE_PERIOD_FLAG,
    {
      name: 'timeout',
      type: 'duration',
      default: 0,
      valueName: 'duration',
      description: 'How long to wait for the pods to be gone; 0 waits as long as it takes.',
    },
    { name: 'pod-selector', type: 'string', valueName: 'string', description: 'Only delete the pods on the node that match this label selector.' },
    LABEL_SELECTOR_FLAG,
  ],
  run,
};
