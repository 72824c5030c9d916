// `kip drain`: cordon a node, then evict every pod on it and wait until they are gone, so their
// controllers recreate them elsewhere. Evictions go through the eviction API, so disruption
// budgets hold: a refused eviction is retried until --timeout, as kubectl drain does. Pods no
// controller would recreate are refused unless --force.

import { setTimeout as delay } from 'node:timers/promises';
import { controllerOf, objectPath, resourceByKind, ApiStatusError, ClientError, type Pod } from '@kip/shared';
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
  const timeoutMs = ctx.flags.duration('timeout') ?? 0;
  const deadline = timeoutMs > 0 ? ctx.now() + timeoutMs : Infinity;
  // In parallel, as kubectl does: a pod its budget holds back must not hold back the others.
  const results = await Promise.all(plan.evict.map((p) => evictWithRetry(ctx, p, grace, deadline, timeoutMs)));
  for (const [i, r] of results.entries()) {
    const p = plan.evict[i]!;
    if (r === 'gone') ctx.out(`pod/${p.metadata.name} evicted\n`);
    else if (r === 'evicted')
      deleted.push({
        resource: POD(),
        namespace: p.metadata.namespace ?? 'default',
        name: p.metadata.name,
        ...(p.metadata.uid ? { uid: p.metadata.uid } : {}),
      });
    else ok = false;
  }
  if (!ok) {
    ctx.err(`error: unable to drain node "${node}": some pods could not be evicted, continuing command...\nThere are pending nodes to be drained:\n ${node}\n`);
    return false;
  }
  try {
    await waitUntilGone(ctx.api, deleted, {
      timeoutMs: deadline === Infinity ? 0 : Math.max(1, deadline - ctx.now()),
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
  ctx.out(`node/${node} drained\n`);
  return true;
}

/** How long drain waits before asking again for an eviction a disruption budget refused (kubectl's 5 s). */
export const EVICTION_RETRY_MS = 5000;

/**
 * Evicts one pod through the eviction API, so its disruption budget has its say; a refusal (429)
 * is retried every 5 s until the deadline, as kubectl drain does. Resolves 'evicted' (deleted,
 * maybe still stopping), 'gone' (it was already), or 'failed' (reported on stderr).
 */
async function evictWithRetry(ctx: Context, p: Pod, grace: number | undefined, deadline: number, timeoutMs: number): Promise<'evicted' | 'gone' | 'failed'> {
  const ns = p.metadata.namespace ?? 'default';
  const what = `pods/"${p.metadata.name}" -n "${ns}"`;
  ctx.out(`evicting pod ${key(p)}\n`);
  const body = {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: p.metadata.name, namespace: ns },
    ...(grace !== undefined || p.metadata.uid
      ? {
          deleteOptions: {
            ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
            ...(p.metadata.uid ? { preconditions: { uid: p.metadata.uid } } : {}),
          },
        }
      : {}),
  };
  for (;;) {
    try {
      await ctx.api.call('POST', `${objectPath(POD(), ns, p.metadata.name)}/eviction`, { body });
      return 'evicted';
    } catch (err) {
      if (!(err instanceof ApiStatusError)) throw err;
      if (err.isNotFound) return 'gone';
      if (err.httpCode !== 429) {
        reportError(err, ctx.io.stderr, ctx.io.env, `error when evicting ${what}`);
        return 'failed';
      }
      ctx.err(`error when evicting ${what} (will retry after 5s): ${err.message}\n`);
      await abortableDelay(Math.min(EVICTION_RETRY_MS, Math.max(0, deadline - ctx.now())), ctx.signal);
      if (ctx.signal?.aborted) return 'failed';
      if (ctx.now() >= deadline) {
        ctx.err(`error when evicting ${what}: global timeout reached: ${Math.round(timeoutMs / 1000)}s\n`);
        return 'failed';
      }
    }
  }
}

async function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
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
    'Cordon a node, then evict every pod on it, each with its grace period, and wait until they are gone; ' +
    'their controllers recreate them on other nodes. An eviction a PodDisruptionBudget refuses is retried every 5s ' +
    'until --timeout. Pods without a controller would be lost, so drain refuses ' +
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
      description: 'How long to keep evicting and wait for the pods to be gone; 0 waits as long as it takes.',
    },
    { name: 'pod-selector', type: 'string', valueName: 'string', description: 'Only delete the pods on the node that match this label selector.' },
    LABEL_SELECTOR_FLAG,
  ],
  run,
};
