#!/usr/bin/env node
// `npm run fuzz`: bad input against a private cluster (see runner.ts), and a summary. Exit codes:
// 0 no crash, hang or violation; 1 one of them (or the run failed); 2 a bad command line;
// 130 interrupted. Ctrl-C stops the fuzzers and the cluster; a second one kills it at once.

import { randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatDurationMs, parseDuration } from '@kip/shared';
import type { LocalCluster } from '../cluster/local-cluster.js';
import { mib, runFuzz, type FuzzReport } from './runner.js';
import { TARGETS, type TargetName } from './target.js';

export const USAGE = `usage: npm run fuzz -- [flags]

Starts a private cluster and sends it generated bad input for --duration: HTTP requests to the
API (mutated objects, headers, paths, chunked and oversized bodies, cut and stalled requests),
frames on the agents' WebSocket, and connections to the agents' tunnels. Every input is seeded:
the same --seed sends the same inputs. Watches that no kip process dies and every request ends
(answered or closed) in time, then prints a summary.

  --duration D      how long to fuzz (default 1m)
  --seed N          seed of every input (default: random, printed)
  --nodes N         nodes in the private cluster (default 2)
  --targets LIST    some of http,agent,tunnel (default all three)
  --concurrency N   cases in flight per target (default 2)
  --max-cases N     stop each target after N cases, if --duration has not ended first
  --case T:N,...    replay only these cases of --seed (e.g. http:71,agent:3), one at a time
  -h, --help        this help

Exit codes: 0 no crash, hang or violation; 1 one of them, or the run failed; 2 a bad command line.`;

export interface FuzzCommand {
  help: boolean;
  durationMs: number;
  seed?: number;
  nodes: number;
  targets: TargetName[];
  concurrency: number;
  maxCases?: number;
  /** --case: replay these cases only */
  cases?: { target: TargetName; index: number }[];
}

export class UsageError extends Error {}

const parse = (args: string[]) =>
  parseArgs({
    args,
    options: {
      duration: { type: 'string', short: 'd' },
      seed: { type: 'string' },
      nodes: { type: 'string', short: 'n' },
      targets: { type: 'string' },
      concurrency: { type: 'string' },
      case: { type: 'string' },
      'max-cases': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

export function parseFuzzCommandLine(argv: string[]): FuzzCommand {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const whole = (flag: string, v: string | undefined, def: number, min: number, max: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`--${flag}: "${v}" is not a whole number from ${min} to ${max}`);
    return n;
  };
  const durationMs = values.duration === undefined ? 60_000 : parseDuration(values.duration);
  if (durationMs === undefined || durationMs < 1000)
    throw new UsageError(`--duration: "${values.duration}" is not a duration of at least 1s, such as 30s or 2m`);
  const targets = (values.targets ?? TARGETS.join(','))
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of targets) if (!(TARGETS as readonly string[]).includes(t)) throw new UsageError(`--targets: "${t}" is not one of ${TARGETS.join(', ')}`);
  if (targets.length === 0) throw new UsageError('--targets: name at least one of http, agent, tunnel');
  const cases = values.case?.split(',').map((c) => {
    const m = /^(http|agent|tunnel):(\d+)$/.exec(c.trim());
    if (!m) throw new UsageError(`--case: "${c}" is not TARGET:NUMBER, such as http:71`);
    return { target: m[1] as TargetName, index: Number(m[2]) };
  });
  if (cases && values.seed === undefined) throw new UsageError('--case needs the --seed the cases were made from');
  return {
    ...(cases ? { cases } : {}),
    help: values.help ?? false,
    durationMs,
    seed: values.seed === undefined ? undefined : whole('seed', values.seed, 0, 0, 2 ** 32 - 1),
    nodes: whole('nodes', values.nodes, 2, 1, 10),
    targets: [...new Set(targets)] as TargetName[],
    concurrency: whole('concurrency', values.concurrency, 2, 1, 32),
    ...(values['max-cases'] !== undefined ? { maxCases: whole('max-cases', values['max-cases'], 0, 1, 10_000_000) } : {}),
  };
}

/** The summary a person reads: figures per target, then every failure with its input. */
export function renderSummary(r: FuzzReport): string {
  const crashes = r.failures.filter((f) => f.type === 'crash').length;
  const hangs = r.failures.filter((f) => f.type === 'hang').length;
  const violations = r.failures.filter((f) => f.type === 'violation').length;
  const lines = [`fuzz summary: seed ${r.seed}, ${formatDurationMs(Math.round(r.durationMs / 1000) * 1000)} of fuzzing, ${r.nodes} node(s)`, ''];
  for (const [t, s] of Object.entries(r.targets)) {
    const kinds = Object.entries(s.kinds)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const answers = Object.entries(s.answers)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    lines.push(`  ${t.padEnd(7)} ${String(s.tried).padStart(6)} cases`);
    lines.push(`          inputs:  ${kinds}`);
    lines.push(`          answers: ${answers}`);
    if (s.slowest) lines.push(`          slowest answer: ${(s.slowest.ms / 1000).toFixed(1)} s (case ${s.slowest.index}, ${s.slowest.kind})`);
  }
  lines.push('');
  lines.push(`  crashes      ${crashes}`);
  lines.push(`  hangs        ${hangs}`);
  lines.push(`  violations   ${violations}`);
  lines.push(`  server errors (HTTP 5xx) ${r.serverErrors.count}`);
  lines.push(`  max RSS      control plane ${mib(r.maxRss.controlPlane)}, agent ${mib(r.maxRss.agent)}`);
  lines.push(`  slowest probe answer: control plane /healthz ${r.slowestHealthzMs} ms, agent tunnel ${r.slowestTunnelProbeMs} ms`);
  lines.push(`  leftover processes killed after the stop: ${r.leftovers}`);
  for (const e of r.serverErrors.examples)
    lines.push(`    5xx: http case ${e.index} (${e.kind}) answered "${e.answer}" to: ${JSON.stringify(e.input).slice(0, 600)}`);
  if (r.failures.length) {
    lines.push('', `FAILED (seed ${r.seed}; the run again: npm run fuzz -- --seed ${r.seed} --targets ${Object.keys(r.targets).join(',')}):`);
    for (const f of r.failures) {
      lines.push(`  ${f.type}: ${f.what}`);
      if (f.cases?.length)
        lines.push(`    replay these cases alone: npm run fuzz -- --seed ${r.seed} --case ${f.cases.map((c) => `${c.target}:${c.index}`).join(',')}`);
      for (const c of f.cases ?? []) lines.push(`    ${c.target} case ${c.index} (${c.kind}): ${JSON.stringify(c.input).slice(0, 2000)}`);
      for (const l of f.output ?? []) lines.push(`    | ${l}`);
    }
  } else lines.push('', 'OK: no crash, no hang, no violation');
  return lines.join('\n') + '\n';
}

function main(): void {
  let cmd: FuzzCommand;
  try {
    cmd = parseFuzzCommandLine(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`fuzz: ${(err as Error).message} (npm run fuzz -- --help lists every flag)\n`);
    process.exit(2);
  }
  if (cmd.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  process.title = 'kip-fuzz';
  const seed = cmd.seed ?? randomInt(2 ** 31);
  const abort = new AbortController();
  let cluster: LocalCluster | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      process.stderr.write(`fuzz: ${sig} again: killing every process now\n`);
      cluster?.killAll();
      if (cluster) rmSync(cluster.opts.dataDir, { recursive: true, force: true });
      process.exit(130);
    }
    process.stderr.write(`\nfuzz: ${sig}: stopping the fuzzers and the cluster (again to stop at once)\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const log = (line: string) => process.stderr.write(line + '\n');
  log(`fuzz: seed ${seed} (--seed ${seed} sends the same inputs)`);
  runFuzz({ ...cmd, seed, log, signal: abort.signal, onCluster: (c) => (cluster = c) }).then(
    (report) => {
      process.stdout.write('\n' + renderSummary(report));
      process.exit(abort.signal.aborted ? 130 : report.failures.length ? 1 : 0);
    },
    (err: unknown) => {
      process.stderr.write(`fuzz: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(abort.signal.aborted ? 130 : 1);
    },
  );
}

// Imported by the tests for its command line; run only as the program.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
