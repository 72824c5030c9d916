// `kip scale`: set the replicas of the kinds with a scale subresource (deployments, replica sets,
// stateful sets) through it.

import { objectPath, ApiStatusError, ClientError, KINDS } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { CliError, reportError, UsageError } from '../errors.js';
import { parseTargets, kindPrefix } from '../targets.js';

/** The autoscaling/v1 Scale the API serves at .../scale. */
export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string };
  spec: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** The kinds that serve a scale subresource, as the kinds table says. */
const SCALABLE = new Set(KINDS.filter((k) => k.subresources?.includes('scale')).map((k) => k.resource.kind));
const CONFLICT_RETRIES = 5;

async function run(ctx: Context, args: string[]): Promise<number> {
  if (!ctx.flags.has('replicas')) throw new UsageError('required flag(s) "replicas" not set');
  const replicas = ctx.flags.int('replicas')!;
  if (replicas < 0) throw new UsageError('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  const current = ctx.flags.has('current-replicas') ? ctx.flags.int('current-replicas') : undefined;
  const { targets } = parseTargets(args, 'scale');
  if (targets.length === 0) throw new UsageError('You must specify the type and name of what to scale, e.g. kip scale deployment/web --replicas=3');
  let failed = false;
  for (const t of targets) {
    if (!SCALABLE.has(t.resource.kind))
      throw new CliError(
        `cannot scale ${t.resource.plural}: only ${[...SCALABLE].map((k) => KINDS.find((d) => d.resource.kind === k)!.resource.plural).join(', ')} have a scale subresource`,
      );
    if (t.names.length === 0) throw new UsageError(`resource(s) were provided, but no name was specified`);
    for (const name of t.names) {
      const path = `${objectPath(t.resource, ctx.namespace, name)}/scale`;
      try {
        for (let attempt = 1; ; attempt++) {
          const scale = await ctx.api.call<Scale>('GET', path);
          if (current !== undefined && (scale.spec?.replicas ?? 0) !== current)
            throw new CliError(`Expected replicas to be ${current}, was ${scale.spec?.replicas ?? 0}`);
          const next: Scale = { ...scale, spec: { ...scale.spec, replicas } };
          try {
            await ctx.api.call<Scale>('PUT', path, { body: next });
            break;
          } catch (err) {
            if (!(err instanceof ApiStatusError && err.isConflict && attempt < CONFLICT_RETRIES)) throw err;
          }
        }
        ctx.out(`${kindPrefix(t.resource)}/${name} scaled\n`);
      } catch (err) {
        if (!(err instanceof ApiStatusError || err instanceof ClientError)) throw err;
        failed = true;
        reportError(err, ctx.io.stderr, ctx.io.env);
      }
    }
  }
  return failed ? 1 : 0;
}

export const scaleCommand: Command = {
  name: 'scale',
  group: 'deploy',
  summary: 'Set a new size for a deployment or replica set',
  usage: ['scale [--current-replicas=count] --replicas=COUNT (TYPE NAME | TYPE/NAME) [flags]'],
  description: 'Set a new size for a deployment or replica set. With --current-replicas, the scale happens only if the current size is the one given.',
  examples: [
    '  # Scale the deployment web to 5 replicas',
    '  kip scale deployment/web --replicas=5',
    '',
    '  # Scale to 0 only if it has 3 now',
    '  kip scale deploy web --current-replicas=3 --replicas=0',
  ].join('\n'),
  flags: [
    { name: 'replicas', type: 'int', valueName: 'int', description: 'The new desired number of replicas. Required.' },
    { name: 'current-replicas', type: 'int', valueName: 'int', description: 'Precondition for the current size: scale only if it is this.' },
  ],
  run,
};
