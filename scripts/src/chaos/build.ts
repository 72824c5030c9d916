// Turns a chaos command line into the object it creates: the same NodeChaos or NetworkChaos a
// user could write in YAML and `kip apply`. Pure: no server is asked anything here.

import {
  CHAOS_API_VERSION,
  describeFault,
  directionArrow,
  findNetworkAction,
  NETWORK_ACTION_NAMES,
  NETWORK_ACTIONS,
  NODE_ACTION_NAMES,
  type NetworkChaos,
  type NetworkChaosAction,
  type NetworkChaosSpec,
  type NodeChaos,
  type NodeChaosAction,
  type NodeChaosSpec,
} from '@kip/shared';
import { UsageError } from '../kip/errors.js';
import type { ParsedFlags } from '../kip/flags.js';
import { actionFlagNames, paramsFromFlags } from './action-flags.js';
import { directionFlag, durationFlag, labelFlag, modeFlags, nodeList, scheduleFlags } from './flags.js';

/** Every action is a command; blackhole (timeout) and isolate (a partition from everything) are shorthands. */
export const NODE_COMMANDS: readonly NodeChaosAction[] = NODE_ACTION_NAMES;
export const NETWORK_COMMANDS: readonly (NetworkChaosAction | 'blackhole' | 'isolate')[] = [...NETWORK_ACTION_NAMES, 'blackhole', 'isolate'];
export type FaultCommand = NodeChaosAction | NetworkChaosAction | 'blackhole' | 'isolate';

export function isFaultCommand(s: string): s is FaultCommand {
  return (NODE_COMMANDS as readonly string[]).includes(s) || (NETWORK_COMMANDS as readonly string[]).includes(s);
}

/** Flags every fault command takes; each command adds its own. */
const COMMON = [
  'server',
  'token',
  'kubeconfig',
  'namespace',
  'dry-run',
  'output',
  'name',
  'seed',
  'random',
  'mode',
  'value',
  'selector',
  'interval',
  'cron',
  'count',
  'help',
];
const NETWORK = ['duration', 'to', 'control-plane', 'direction'];
const ALLOWED: Record<FaultCommand, string[]> = {
  kill: ['min-ready'],
  pause: ['duration', 'min-ready'],
  restart: ['restart-delay', 'min-ready'],
  ...(Object.fromEntries(NETWORK_ACTIONS.map((a) => [a.name, [...NETWORK, ...actionFlagNames(a)]])) as Record<NetworkChaosAction, string[]>),
  blackhole: NETWORK,
  isolate: ['duration'],
};

export interface ChaosRequest {
  object: NodeChaos | NetworkChaos;
  /** what it does, in words: "kill node-3", "delay 100ms on node-1 -> node-2" */
  summary: string;
  /** nodes named on the command line (either side), to check that they exist */
  namedNodes: string[];
}

function checkFlags(command: FaultCommand, flags: ParsedFlags): void {
  const allowed = new Set([...COMMON, ...ALLOWED[command]]);
  for (const f of flags.given) if (!allowed.has(f)) throw new UsageError(`--${f} does not apply to ${command}`);
}

/** A DNS-1123 prefix for generateName from the action and the nodes: "kill-node-3-". */
function namePrefix(command: string, nodes: string[], random: boolean): string {
  const what = nodes.length ? nodes.join('-') : random ? 'random' : 'nodes';
  const cleaned = what
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 40)
    .replace(/[-.]+$/, '');
  return `${command}-${cleaned || 'nodes'}-`;
}

interface Selection {
  spec: Pick<NodeChaosSpec, 'selector' | 'mode' | 'value'>;
  nodes: string[];
  words: string;
}

function selection(command: string, words: readonly string[], flags: ParsedFlags): Selection {
  const nodes = nodeList(words);
  const labels = labelFlag(flags);
  const mode = modeFlags(flags);
  if (nodes.length === 0 && !labels && !mode.mode)
    throw new UsageError(
      `${command} needs nodes: name them (${command} node-2, or node-1,node-2), pick by label (-l zone=a), or pick at random (--random, --mode)`,
    );
  const selector = { ...(nodes.length ? { nodes } : {}), ...(labels ? { labelSelectors: labels } : {}) };
  const desc =
    [
      nodes.length ? nodes.join(', ') : '',
      labels
        ? `nodes labelled ${Object.entries(labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`
        : '',
    ]
      .filter(Boolean)
      .join(' and ') || 'all nodes';
  const picked = mode.mode === 'one' ? 'one random node' : `${mode.mode} ${mode.value ?? ''}`.trim();
  const how = mode.mode && mode.mode !== 'all' ? (desc === 'all nodes' ? picked : `${picked} of ${desc}`) : desc;
  return { spec: { ...(Object.keys(selector).length ? { selector } : {}), ...mode }, nodes, words: how };
}

function meta(flags: ParsedFlags, namespace: string, command: string, sel: Selection): NodeChaos['metadata'] {
  const name = flags.str('name');
  // With generateName and no name the server picks the suffix, as for `kubectl create` of such an object.
  return {
    ...(name ? { name } : { generateName: namePrefix(command, sel.nodes, flags.bool('random')) }),
    namespace,
    labels: { 'chaos.kip.dev/cli': command },
  } as NodeChaos['metadata'];
}

function buildNodeChaos(command: NodeChaosAction, args: string[], flags: ParsedFlags, namespace: string, seed: number): ChaosRequest {
  const sel = selection(command, args, flags);
  const duration = durationFlag(flags, 'duration');
  if (command === 'pause' && duration === undefined)
    throw new UsageError('pause needs --duration, e.g. --duration 20s: a stopped agent cannot be told to resume');
  const restartDelay = durationFlag(flags, 'restart-delay', true);
  const schedule = scheduleFlags(flags);
  const minReady = flags.int('min-ready');
  if (minReady !== undefined && minReady < 0) throw new UsageError(`invalid argument "${minReady}" for "--min-ready" flag: must be at least 0`);
  const spec: NodeChaosSpec = {
    action: command as NodeChaosAction,
    ...sel.spec,
    ...(duration ? { duration } : {}),
    ...(restartDelay ? { restartDelay } : {}),
    ...(minReady !== undefined ? { minReady } : {}),
    ...(schedule ? { schedule } : {}),
    seed,
  };
  const extra = [
    duration ? `for ${duration}` : '',
    restartDelay ? `(down for ${restartDelay})` : '',
    schedule ? scheduleWords(schedule) : '',
    minReady !== undefined ? `keeping at least ${minReady} Ready` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    object: { apiVersion: CHAOS_API_VERSION, kind: 'NodeChaos', metadata: meta(flags, namespace, command, sel), spec },
    summary: `${command} ${sel.words}${extra ? ` ${extra}` : ''}`,
    namedNodes: sel.nodes,
  };
}

function scheduleWords(s: { interval?: string; cron?: string; count?: number }): string {
  return `${s.interval ? `every ${s.interval}` : `on cron "${s.cron}"`}${s.count ? `, ${s.count} time(s)` : ''}`;
}

function buildNetworkChaos(
  command: NetworkChaosAction | 'blackhole' | 'isolate',
  args: string[],
  flags: ParsedFlags,
  namespace: string,
  seed: number,
): ChaosRequest {
  let chosenWords = args;
  let targets = nodeList(flags.list('to'));
  if (command === 'partition') {
    if (args.length > 2)
      throw new UsageError('partition takes one or two sets of nodes: partition node-1,node-2 node-3 (the second set defaults to every other node)');
    if (args.length === 2) {
      if (targets.length) throw new UsageError('give the other side of a partition as a second set or with --to, not both');
      targets = nodeList([args[1]!]);
      chosenWords = [args[0]!];
    }
  }
  if (command === 'isolate' && nodeList(args).length === 0) throw new UsageError('isolate needs the node(s) to cut off: isolate node-4');
  const sel = selection(command, chosenWords, flags);
  const action: NetworkChaosAction = command === 'blackhole' ? 'timeout' : command === 'isolate' ? 'partition' : command;
  const cutting = action === 'partition' || action === 'timeout';
  const direction = command === 'isolate' ? 'both' : directionFlag(flags, cutting ? 'both' : 'to');
  const toControlPlane = command === 'isolate' || flags.bool('control-plane');
  const spec: NetworkChaosSpec = { action, ...sel.spec, direction };
  // isolate: every node (the chosen one has no link to itself) and the control plane.
  if (command === 'isolate') spec.target = { mode: 'all', controlPlane: true };
  else if (targets.length || toControlPlane)
    spec.target = { ...(targets.length ? { selector: { nodes: targets } } : {}), ...(toControlPlane ? { controlPlane: true } : {}) };
  const params = paramsFromFlags(findNetworkAction(action)!, command, flags);
  if (params) (spec as Record<string, unknown>)[action] = params;
  // A shorthand says what it is by its name.
  const what = command === action ? describeFault(spec) : command;
  const duration = durationFlag(flags, 'duration');
  if (duration) spec.duration = duration;
  const schedule = scheduleFlags(flags);
  if (schedule) {
    if (!duration) throw new UsageError(`a repeating ${command} needs --duration, to heal between runs`);
    spec.schedule = schedule;
  }
  spec.seed = seed;
  const arrow = directionArrow(direction);
  const other = [
    targets.length ? targets.join(', ') : toControlPlane && command !== 'isolate' ? '' : 'every other node',
    toControlPlane ? 'the control plane' : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const summary = `${what} ${sel.words} ${arrow} ${other}${duration ? ` for ${duration}` : ' until healed'}${schedule ? `, ${scheduleWords(schedule)}` : ''}`;
  return {
    object: { apiVersion: CHAOS_API_VERSION, kind: 'NetworkChaos', metadata: meta(flags, namespace, command, sel), spec },
    summary,
    namedNodes: [...new Set([...sel.nodes, ...targets])],
  };
}

/** The object a fault command creates; throws UsageError for a bad command line. */
export function buildChaos(command: FaultCommand, args: string[], flags: ParsedFlags, namespace: string, seed: number): ChaosRequest {
  checkFlags(command, flags);
  if ((NODE_COMMANDS as readonly string[]).includes(command)) return buildNodeChaos(command as NodeChaosAction, args, flags, namespace, seed);
  return buildNetworkChaos(command as NetworkChaosAction | 'blackhole' | 'isolate', args, flags, namespace, seed);
}
