// The flags of `npm run chaos`, in kip's flag grammar (scripts/src/kip/flags.ts), and the checks
// that turn their text into values with a message naming the flag when one is wrong.

import { CHAOS_MODES, modeValueError, parseChaosDuration, runSchedule, ScheduleError, type ChaosMode } from '@kip/shared';
import { UsageError } from '../kip/errors.js';
import type { FlagSpec, ParsedFlags } from '../kip/flags.js';
import { ACTION_FLAGS } from './action-flags.js';

export const CHAOS_FLAGS: FlagSpec[] = [
  { name: 'server', short: 's', type: 'string', valueName: 'url', description: 'The kip API server (else $KIP_SERVER, else http://127.0.0.1:7070).' },
  { name: 'token', type: 'string', valueName: 'string', description: 'Bearer token for the API server (else $KIP_TOKEN, else the kubeconfig).' },
  { name: 'kubeconfig', type: 'string', valueName: 'file', description: 'The kubeconfig to use (else $KUBECONFIG, else .kip/kubeconfig when it exists).' },
  { name: 'namespace', short: 'n', type: 'string', valueName: 'string', description: 'Namespace of the fault objects (else $KIP_NAMESPACE, else default).' },
  { name: 'dry-run', type: 'bool', description: 'Print what would be done (and which nodes would be chosen); create nothing.' },
  {
    name: 'output',
    short: 'o',
    type: 'string',
    valueName: 'yaml|json',
    description: 'Print the object as YAML or JSON (with --dry-run: instead of creating it).',
  },
  { name: 'name', type: 'string', valueName: 'name', description: 'Name of the object (default: generated from the action and nodes).' },
  { name: 'seed', type: 'int', valueName: 'n', description: 'Seed of every random choice, to replay a run exactly (default: a new one, printed).' },
  { name: 'random', type: 'bool', description: 'Pick one node at random among the candidates (mode one).' },
  { name: 'mode', type: 'string', valueName: 'mode', description: `How many candidates to take: ${CHAOS_MODES.join(', ')}.` },
  { name: 'value', type: 'string', valueName: 'v', description: 'A count for fixed, a percentage for fixed-percent and random-max-percent.' },
  { name: 'selector', short: 'l', type: 'string', valueName: 'k=v,...', description: 'Candidates by node label, e.g. zone=a.' },
  {
    name: 'duration',
    short: 'd',
    type: 'string',
    valueName: 'D',
    description: 'How long each injection lasts (pause needs one; network faults: until healed when absent).',
  },
  { name: 'interval', type: 'string', valueName: 'D', description: 'Repeat every D (the first run is at once).' },
  { name: 'cron', type: 'string', valueName: 'expr', description: 'Repeat on a 5-field cron schedule, in UTC.' },
  { name: 'count', type: 'int', valueName: 'n', description: 'Stop after n runs.' },
  { name: 'min-ready', type: 'int', valueName: 'n', description: 'Skip a node fault that would leave fewer than n Ready nodes.' },
  { name: 'restart-delay', type: 'string', valueName: 'D', description: 'restart: how long the node stays down (default 3s).' },
  { name: 'restart-after', type: 'string', valueName: 'D', description: 'kill-control-plane: how long the launcher waits before starting it again.' },
  { name: 'data-dir', type: 'string', valueName: 'dir', description: 'kill-control-plane: the cluster data dir (else $KIP_DATA_DIR, else .kip).' },
  { name: 'to', type: 'strings', valueName: 'nodes', description: 'Network faults: the nodes on the other side (default: every other node).' },
  { name: 'control-plane', type: 'bool', description: 'Network faults: the control plane is on the other side (instead of, or with, --to).' },
  { name: 'direction', type: 'string', valueName: 'to|from|both', description: 'Network faults: traffic from the nodes to the other side, from it, or both.' },
  ...ACTION_FLAGS,
  { name: 'all', type: 'bool', description: 'heal: delete every fault object in the namespace.' },
  { name: 'help', short: 'h', type: 'bool', description: 'Show this help.' },
];

/** A duration flag's text, checked; undefined when the flag was not given. */
export function durationFlag(flags: ParsedFlags, name: string, allowZero = false): string | undefined {
  const v = flags.str(name);
  if (v === undefined) return undefined;
  const ms = parseChaosDuration(v);
  if (ms === undefined || (ms === 0 && !allowZero))
    throw new UsageError(
      `invalid argument "${v}" for "--${name}" flag: must be a ${allowZero ? '' : 'positive '}duration such as 500ms, 20s or 5m${/^\s*-/.test(v) ? ' (not negative)' : ''}`,
    );
  return v;
}

export function directionFlag(flags: ParsedFlags, fallback: 'to' | 'from' | 'both'): 'to' | 'from' | 'both' {
  const v = flags.str('direction') ?? fallback;
  if (v !== 'to' && v !== 'from' && v !== 'both') throw new UsageError(`invalid argument "${v}" for "--direction" flag: must be to, from or both`);
  return v;
}

/** --random, --mode and --value: the selection mode, checked. */
export function modeFlags(flags: ParsedFlags): { mode?: ChaosMode; value?: string } {
  let mode = flags.str('mode') as ChaosMode | undefined;
  if (flags.bool('random')) {
    if (mode !== undefined && mode !== 'one') throw new UsageError('--random picks one node (mode one); it cannot be combined with --mode ' + mode);
    mode = 'one';
  }
  if (mode !== undefined && !CHAOS_MODES.includes(mode))
    throw new UsageError(`invalid argument "${mode}" for "--mode" flag: must be one of ${CHAOS_MODES.join(', ')}`);
  const value = flags.str('value');
  const why = modeValueError(mode, value);
  if (why) throw new UsageError(`--value: ${why}`);
  return { ...(mode ? { mode } : {}), ...(value !== undefined ? { value } : {}) };
}

/** --interval / --cron / --count: the schedule, checked. */
export function scheduleFlags(flags: ParsedFlags): { interval?: string; cron?: string; count?: number } | undefined {
  const interval = flags.str('interval');
  const cron = flags.str('cron');
  const count = flags.int('count');
  if (interval === undefined && cron === undefined) {
    if (count !== undefined) throw new UsageError('--count needs --interval or --cron');
    return undefined;
  }
  try {
    runSchedule({ interval, cron });
  } catch (err) {
    if (err instanceof ScheduleError)
      throw new UsageError(
        `${interval !== undefined && cron === undefined ? '--interval' : cron !== undefined && interval === undefined ? '--cron' : '--interval/--cron'}: ${err.message}`,
      );
    throw err;
  }
  if (count !== undefined && count < 1) throw new UsageError(`invalid argument "${count}" for "--count" flag: must be at least 1`);
  return { ...(interval !== undefined ? { interval } : {}), ...(cron !== undefined ? { cron } : {}), ...(count !== undefined ? { count } : {}) };
}

/** -l zone=a,disk=ssd */
export function labelFlag(flags: ParsedFlags): Record<string, string> | undefined {
  const v = flags.str('selector');
  if (v === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const part of v.split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new UsageError(`invalid argument "${v}" for "-l, --selector" flag: "${part}" is not key=value`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** Node lists from positionals or --to: "node-1,node-2" and "node-1 node-2" alike. */
export function nodeList(words: readonly string[]): string[] {
  return [
    ...new Set(
      words
        .flatMap((w) => w.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}
