// The command line of `npm run soak`, parsed into options without side effects, so that every
// refusal (a flag that is not one, a count or duration out of range, two flags that contradict
// each other) is tested as a function and names the flag at fault.

import { DEFAULT_RESTART_DELAY_MS, formatDurationMs, parseDuration, readCommandLine, type CommandLineError } from '@kip/shared';
import { UsageError } from '../experiment/command-line.js';

export { UsageError };

export const DEFAULT_NODES = 20;
export const DEFAULT_DURATION_MS = 10 * 60_000;
export const DEFAULT_INTERVAL_MS = 5000;
export const MAX_NODES = 100;
/** The chaos schedule's own floor (shared/src/chaos/schedule.ts). */
export const MIN_INTERVAL_MS = 1000;
export const MAX_SEED = 2 ** 32 - 1;

export const USAGE = `usage: npm run soak -- [flags]

Starts a private cluster, runs a 3-replica http-echo Service with a client pod calling it 10 times
a second from a node chaos never touches, kills a random other node every --interval (through a
NodeChaos object, as a user would) for --duration, then checks that the cluster healed: the probe's
availability, no orphan processes, no object lost, and the control plane's memory. Prints a
report, writes it as JSON, and exits 0 when every property held, 1 when one did not.

  --nodes N              nodes in the private cluster, the probe's included (default ${DEFAULT_NODES})
  --duration D           how long to kill nodes (default ${formatDurationMs(DEFAULT_DURATION_MS)})
  --interval D           one kill every D (default ${formatDurationMs(DEFAULT_INTERVAL_MS)}, at least 1s)
  --restart-nodes        start a killed node's agent again under its name (the default)
  --no-restart-nodes     leave killed nodes down (kills stop when --min-ready would be broken)
  --restart-delay D      how long a killed node stays down (default ${formatDurationMs(DEFAULT_RESTART_DELAY_MS)})
  --min-ready N          skip a kill that would leave fewer Ready nodes (default: nodes - 2, at least 1)
  --seed N               seed of the node choices, to replay a run (default: random, printed)
  --out DIR              where report.json and samples.jsonl go (default soak-results/<time>/)
  --keep                 keep the cluster's data dir (every agent's and pod's files) afterwards
  --quiet                no live progress, only the report
  -h, --help             this help

Exit codes: 0 every property held, 1 one did not (or the run failed), 2 a bad command line,
130 interrupted (Ctrl-C: the report covers what ran; a second Ctrl-C stops at once).

Examples:
  npm run soak -- --nodes 20 --duration 10m
  npm run soak -- --nodes 5 --duration 1m --interval 3s --seed 7 --out /tmp/soak`;

export interface SoakOptions {
  help: boolean;
  nodes: number;
  durationMs: number;
  intervalMs: number;
  restartNodes: boolean;
  restartDelayMs: number;
  minReady: number;
  /** undefined: pick one at random (and print it) */
  seed?: number;
  out?: string;
  keep: boolean;
  quiet: boolean;
}

const OPTIONS = {
  nodes: { type: 'string', short: 'n' },
  duration: { type: 'string', short: 'd' },
  interval: { type: 'string', short: 'i' },
  'restart-nodes': { type: 'boolean' },
  'no-restart-nodes': { type: 'boolean' },
  'restart-delay': { type: 'string' },
  'min-ready': { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string', short: 'o' },
  keep: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** node's parseArgs errors, said in one short line that starts with the flag at fault. */
export function parseArgsMessage(err: Error & { code?: string }): string {
  const flag = /'(?:-\w, )?(--?[\w-]+)/.exec(err.message)?.[1];
  if (!flag) return err.message;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${flag}: unknown flag`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(err.message) ? `${flag}: takes no value` : `${flag}: needs a value`;
    default:
      return err.message;
  }
}

/** The default minReady: at most two nodes down at once, and never the last one. */
export function defaultMinReady(nodes: number): number {
  return Math.max(1, nodes - 2);
}

function wholeNumber(flag: string, text: string, min: number, max: number, what = `a whole number from ${min} to ${max}`): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${flag}: "${text}" must be ${what}`);
  return n;
}

function duration(flag: string, text: string | undefined, fallback: number, minMs: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--${flag}: "${text}" is not a duration such as 30s, 5m or 1h`);
  if (ms < minMs) throw new UsageError(`--${flag}: "${text}" is too short; it must be at least ${formatDurationMs(minMs)}`);
  return ms;
}

export function parseSoakCommandLine(argv: readonly string[]): SoakOptions {
  let parsed: ReturnType<typeof readCommandLine<typeof OPTIONS, true>>;
  try {
    parsed = readCommandLine(argv, OPTIONS, true);
  } catch (err) {
    throw new UsageError(parseArgsMessage(err as CommandLineError));
  }
  const v = parsed.values;
  const help = !!v.help;
  const nodes =
    v.nodes === undefined || help
      ? DEFAULT_NODES
      : wholeNumber('nodes', v.nodes, 2, MAX_NODES, `a whole number from 2 to ${MAX_NODES} (one node for the probe, at least one to kill)`);
  const base: SoakOptions = {
    help,
    nodes,
    durationMs: DEFAULT_DURATION_MS,
    intervalMs: DEFAULT_INTERVAL_MS,
    restartNodes: true,
    restartDelayMs: DEFAULT_RESTART_DELAY_MS,
    minReady: defaultMinReady(nodes),
    keep: false,
    quiet: false,
  };
  if (help) return base;
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}": soak takes only flags`);
  if (v['restart-nodes'] && v['no-restart-nodes']) throw new UsageError('--restart-nodes and --no-restart-nodes contradict each other; give one');
  const durationMs = duration('duration', v.duration, DEFAULT_DURATION_MS, 1000);
  const intervalMs = duration('interval', v.interval, DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS);
  const restartNodes = !v['no-restart-nodes'];
  if (v['restart-delay'] !== undefined && !restartNodes)
    throw new UsageError('--restart-delay: killed nodes stay down with --no-restart-nodes; drop one of the two');
  const restartDelayMs = duration('restart-delay', v['restart-delay'], DEFAULT_RESTART_DELAY_MS, 0);
  const minReady =
    v['min-ready'] === undefined
      ? base.minReady
      : wholeNumber('min-ready', v['min-ready'], 0, nodes - 1, `a whole number from 0 to ${nodes - 1}: with ${nodes} or more, every kill would be skipped`);
  const seed = v.seed === undefined ? undefined : wholeNumber('seed', v.seed, 0, MAX_SEED);
  if (v.out !== undefined && v.out.trim() === '') throw new UsageError('--out: must name a directory');
  return {
    ...base,
    durationMs,
    intervalMs,
    restartNodes,
    restartDelayMs,
    minReady,
    ...(seed !== undefined ? { seed } : {}),
    ...(v.out !== undefined ? { out: v.out } : {}),
    keep: !!v.keep,
    quiet: !!v.quiet,
  };
}
