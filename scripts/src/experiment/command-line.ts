// The command line of `npm run experiment`, parsed into options without side effects, so the
// checks (one file, --nodes or --server but not both, durations and counts in range) are tested
// as a function.

import { DEFAULT_SERVER, isProfileName, parseDuration, readCommandLine } from '@kip/shared';

export const USAGE = `usage: npm run experiment -- FILE [flags]

Runs the experiment FILE (YAML): applies its workload, starts its probe, plays its timeline of
faults, and writes a measured report (report.json, report.html, samples.jsonl).

  --out DIR            where the report goes (default experiment-results/<name>-<time>/)
  --server URL         the cluster's API (else $KIP_SERVER, else ${DEFAULT_SERVER})
  --token TOKEN        bearer token for the API (else $KIP_TOKEN, else the kubeconfig)
  --kubeconfig FILE    the kubeconfig to use (else $KUBECONFIG, else .kip/kubeconfig)
  --nodes N            run on a private cluster of N nodes, started and stopped for this run
  --profile P          timings of the private cluster: fast (default) or kubernetes
  --keep               leave the workload in place afterwards
  --ready-timeout D    how long the workload may take to be ready (default 2m)
  --quiet              no live progress, only the report
  -h, --help           this help

Examples:
  npm run cluster -- --nodes 3          # in another terminal
  npm run experiment -- examples/experiments/node-failure.yaml
  npm run experiment -- examples/experiments/partition.yaml --nodes 3 --out /tmp/partition`;

export class UsageError extends Error {
  readonly code = 'Usage';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommandLine {
  help: boolean;
  file: string;
  out?: string;
  /** --server or $KIP_SERVER; else the kubeconfig's, else the default */
  server?: string;
  token?: string;
  /** a kubeconfig named on the command line */
  kubeconfig?: string;
  /** run on a private cluster of this many nodes */
  nodes?: number;
  profile: string;
  keep: boolean;
  readyTimeoutMs: number;
  quiet: boolean;
}

const OPTIONS = {
  out: { type: 'string', short: 'o' },
  server: { type: 'string', short: 's' },
  token: { type: 'string' },
  kubeconfig: { type: 'string' },
  nodes: { type: 'string', short: 'n' },
  profile: { type: 'string' },
  keep: { type: 'boolean' },
  'ready-timeout': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseCommandLine(argv: readonly string[], env: Record<string, string | undefined>): CommandLine {
  let parsed: ReturnType<typeof readCommandLine<typeof OPTIONS, true>>;
  try {
    parsed = readCommandLine(argv, OPTIONS, true);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const base = { profile: 'fast', keep: false, readyTimeoutMs: 120_000, quiet: false, server: DEFAULT_SERVER, file: '' };
  if (v.help) return { ...base, help: true };
  if (parsed.positionals.length === 0) throw new UsageError('an experiment file is required, e.g. examples/experiments/node-failure.yaml');
  if (parsed.positionals.length > 1) throw new UsageError(`one experiment file at a time; got ${parsed.positionals.join(', ')}`);
  let nodes: number | undefined;
  if (v.nodes !== undefined) {
    nodes = Number(v.nodes);
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64) throw new UsageError(`--nodes: "${v.nodes}" must be a whole number from 1 to 64`);
    if (v.server !== undefined) throw new UsageError('--nodes starts a private cluster; it cannot be combined with --server');
  }
  if (v.profile !== undefined) {
    if (nodes === undefined) throw new UsageError('--profile applies to the private cluster of --nodes; a running cluster keeps its own');
    if (!isProfileName(v.profile)) throw new UsageError(`--profile: "${v.profile}" is not a profile; use fast or kubernetes`);
  }
  const readyTimeoutMs = v['ready-timeout'] === undefined ? base.readyTimeoutMs : parseDuration(v['ready-timeout']);
  if (readyTimeoutMs === undefined || readyTimeoutMs <= 0) throw new UsageError(`--ready-timeout: "${v['ready-timeout']}" is not a duration such as 90s or 2m`);
  if (v.out !== undefined && v.out.trim() === '') throw new UsageError('--out: must name a directory');
  const token = v.token ?? env.KIP_TOKEN;
  return {
    help: false,
    file: parsed.positionals[0]!,
    ...(v.out !== undefined ? { out: v.out } : {}),
    ...((v.server ?? env.KIP_SERVER) ? { server: v.server ?? env.KIP_SERVER } : {}),
    ...(token ? { token } : {}),
    ...(v.kubeconfig !== undefined ? { kubeconfig: v.kubeconfig } : {}),
    ...(nodes !== undefined ? { nodes } : {}),
    profile: v.profile ?? 'fast',
    keep: !!v.keep,
    readyTimeoutMs,
    quiet: !!v.quiet,
  };
}
