// `kip logs`: print (or follow) a container's log, read through the API from the node that runs it.

import { fromLabelSelector, isPodReady, objectPath, resourceByKind, selectorToString, type Deployment, type Pod, type ReplicaSet } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { resolveType } from '../targets.js';

const POD = () => resourceByKind('Pod')!;

/** The pod kubectl would pick among a workload's pods: ready and running first, then the newest. */
export function pickPod(pods: readonly Pod[]): Pod | undefined {
  const score = (p: Pod) => (p.metadata.deletionTimestamp ? 0 : 4) + (p.status?.phase === 'Running' ? 2 : 0) + (isPodReady(p) ? 1 : 0);
  return [...pods].sort((a, b) => score(b) - score(a) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
}

async function resolvePod(ctx: Context, arg: string): Promise<Pod> {
  const slash = arg.indexOf('/');
  if (slash < 0) return ctx.api.get<Pod>(POD(), ctx.namespace, arg);
  const r = resolveType(arg.slice(0, slash));
  const name = arg.slice(slash + 1);
  if (r.kind === 'Pod') return ctx.api.get<Pod>(r, ctx.namespace, name);
  if (r.kind !== 'Deployment' && r.kind !== 'ReplicaSet') throw new CliError(`cannot get logs of ${r.plural}: use a pod, a deployment or a replicaset`);
  const owner = await ctx.api.get<Deployment | ReplicaSet>(r, ctx.namespace, name);
  const selector = selectorToString(fromLabelSelector(owner.spec?.selector));
  const pods = (await ctx.api.list<Pod>(POD(), ctx.namespace, { labelSelector: selector })).items ?? [];
  const pod = pickPod(pods);
  if (!pod) throw new CliError(`no pods found for ${arg}`);
  if (pods.length > 1) ctx.err(`Found ${pods.length} pods, using pod/${pod.metadata.name}\n`);
  return pod;
}

/** Prefixes each complete line, keeping a partial last line until the rest of it comes. */
class LinePrefixer {
  private pending = '';
  constructor(
    private readonly prefix: string,
    private readonly write: (s: string) => void,
  ) {}
  push(chunk: Buffer): void {
    this.pending += chunk.toString('utf8');
    const nl = this.pending.lastIndexOf('\n');
    if (nl < 0) return;
    const complete = this.pending.slice(0, nl);
    this.pending = this.pending.slice(nl + 1);
    this.write(
      complete
        .split('\n')
        .map((l) => `${this.prefix}${l}\n`)
        .join(''),
    );
  }
  end(): void {
    if (this.pending) this.write(`${this.prefix}${this.pending}\n`);
    this.pending = '';
  }
}

async function run(ctx: Context, args: string[]): Promise<number> {
  if (args.length === 0 || args.length > 2)
    throw new UsageError('expected POD [CONTAINER] or TYPE/NAME, e.g. kip logs web-7d4b9-x2x9z or kip logs deployment/web');
  if (args.length === 2 && ctx.flags.str('container')) throw new UsageError('only one of -c or an inline container name is allowed');
  const pod = await resolvePod(ctx, args[0]!);
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const allContainers = ctx.flags.bool('all-containers');
  let containers: string[];
  const chosen = ctx.flags.str('container') ?? args[1];
  // As kubectl does, --all-containers starts with the init containers.
  if (allContainers) containers = [...(pod.spec?.initContainers ?? []).map((c) => c.name), ...names];
  else if (chosen) containers = [chosen];
  else if (names.length === 1) containers = names;
  else throw new CliError(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`);

  const tail = ctx.flags.int('tail');
  const follow = ctx.flags.bool('follow');
  const path = `${objectPath(POD(), pod.metadata.namespace ?? ctx.namespace, pod.metadata.name)}/log`;
  const prefixed = ctx.flags.bool('prefix') || (allContainers && containers.length > 1 && follow);
  const streamOne = async (container: string) => {
    const prefixer = prefixed ? new LinePrefixer(`[pod/${pod.metadata.name}/${container}] `, (s) => ctx.out(s)) : undefined;
    await ctx.api.stream(
      path,
      {
        container,
        follow: follow ? 'true' : undefined,
        previous: ctx.flags.bool('previous') ? 'true' : undefined,
        tailLines: tail !== undefined && tail >= 0 ? tail : undefined,
      },
      ctx.signal,
      (chunk) => (prefixer ? prefixer.push(chunk) : ctx.io.stdout.write(chunk)),
    );
    prefixer?.end();
  };
  // Followed streams never end on their own, so several are read side by side; otherwise one after another.
  if (follow) await Promise.all(containers.map(streamOne));
  else for (const c of containers) await streamOne(c);
  return 0;
}

export const logsCommand: Command = {
  name: 'logs',
  group: 'debug',
  summary: 'Print the logs for a container in a pod',
  usage: ['logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER] [flags]'],
  description:
    'Print the logs of a container of a pod, or of the first pod of a deployment or replica set. A pod with several containers needs -c (or --all-containers).',
  examples: [
    '  # The log of the only container of a pod',
    '  kip logs web-7d4b9-x2x9z',
    '',
    '  # Follow the log of container "sidecar", starting from its last 20 lines',
    '  kip logs -f web-7d4b9-x2x9z -c sidecar --tail=20',
    '',
    '  # The log of the previous (crashed) instance of a container',
    '  kip logs --previous crasher-5f6d8-abcde',
    '',
    '  # The log of a pod of the deployment web',
    '  kip logs deployment/web',
  ].join('\n'),
  flags: [
    { name: 'container', short: 'c', type: 'string', valueName: 'string', description: 'Print the logs of this container.' },
    { name: 'follow', short: 'f', type: 'bool', description: 'Keep printing the log as it grows.' },
    { name: 'previous', short: 'p', type: 'bool', description: 'Print the log of the previous instance of the container, if it restarted.' },
    { name: 'tail', type: 'int', default: -1, valueName: 'int', description: 'Lines of recent log to print; -1 prints all of it.' },
    { name: 'all-containers', type: 'bool', description: 'Print the logs of every container of the pod.' },
    { name: 'prefix', type: 'bool', description: 'Prefix each line with the pod and container it came from.' },
  ],
  run,
};
