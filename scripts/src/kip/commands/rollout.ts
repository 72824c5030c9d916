// `kip rollout status TYPE/NAME`: follows a Deployment's or DaemonSet's rollout until it is done,
// printing each new state as kubectl does (rollout-status.ts), or stops at --timeout.

import { setTimeout as delay } from 'node:timers/promises';
import { ApiStatusError, type KObject } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { RolloutStatusError, rolloutStatusViewer } from '../rollout-status.js';
import { parseTargets } from '../targets.js';

/** How often the object is read again while the rollout goes on. */
const POLL_MS = 500;

async function status(ctx: Context, args: string[]): Promise<number> {
  const { targets } = parseTargets(args, 'rollout status');
  const t = targets.length === 1 ? targets[0] : undefined;
  if (t?.names.length !== 1) throw new UsageError('rollout status needs exactly one resource, e.g. kip rollout status daemonset/agent');
  const view = rolloutStatusViewer(t.resource.kind);
  if (!view) throw new CliError(`no status viewer has been implemented for ${t.resource.kind}`);
  const name = t.names[0]!;
  const watch = ctx.flags.bool('watch');
  const timeoutMs = ctx.flags.duration('timeout') ?? 0;
  const deadline = timeoutMs > 0 ? ctx.now() + timeoutMs : Infinity;
  let last = '';
  for (;;) {
    let obj: KObject;
    try {
      obj = await ctx.api.get(t.resource, ctx.namespace, name);
    } catch (err) {
      if (err instanceof ApiStatusError && err.isNotFound) throw new CliError(`${t.resource.plural}.${t.resource.group || 'core'} "${name}" not found`);
      throw err;
    }
    let s: ReturnType<typeof view>;
    try {
      s = view(obj);
    } catch (err) {
      if (err instanceof RolloutStatusError) throw new CliError(err.message);
      throw err;
    }
    if (s.message !== last) ctx.out(s.message);
    last = s.message;
    if (s.done || !watch) return 0;
    if (ctx.now() >= deadline) throw new CliError('timed out waiting for the condition');
    try {
      await delay(Math.min(POLL_MS, Math.max(0, deadline - ctx.now())), undefined, ctx.signal ? { signal: ctx.signal } : {});
    } catch (err) {
      if (!ctx.signal?.aborted) throw err;
    }
    if (ctx.signal?.aborted) return 1;
  }
}

async function run(ctx: Context, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'status') throw new UsageError(sub ? `unknown rollout subcommand "${sub}": kip supports "rollout status"` : 'rollout needs a subcommand: status');
  return status(ctx, rest);
}

export const rolloutCommand: Command = {
  name: 'rollout',
  group: 'deploy',
  summary: 'Show the status of the rollout of a deployment or daemon set',
  usage: ['rollout status (TYPE NAME | TYPE/NAME) [flags]'],
  description:
    'Show the status of a rollout: wait until every pod runs the current template and is available, ' +
    'printing progress as it goes, as kubectl rollout status does. Works for deployments and daemon sets ' +
    '(those with the RollingUpdate strategy).',
  examples: [
    '  # Watch the rollout of a daemon set',
    '  kip rollout status daemonset/agent',
    '',
    '  # Give up after a minute',
    '  kip rollout status deploy/web --timeout=60s',
  ].join('\n'),
  flags: [
    { name: 'watch', short: 'w', type: 'bool', default: true, description: 'Watch the status of the rollout until it is done.' },
    { name: 'timeout', type: 'duration', default: 0, valueName: 'duration', description: 'How long to wait before giving up; 0 waits for ever.' },
  ],
  run,
};
