#!/usr/bin/env node
// `npm run soak`: a long stress of kip's self-healing on a private cluster (see runner.ts),
// with a report in the terminal and in --out/report.json. Exit codes: 0 every property held,
// 1 one did not or the run failed, 2 a bad command line, 130 interrupted. Ctrl-C stops the
// chaos, reports what ran and stops every process; a second Ctrl-C kills them all at once.

import { ApiStatusError, ConnectionError, ClientError } from '@kip/shared';
import { randomInt } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AGENT_MAIN, CONTROLPLANE_MAIN, type LocalCluster } from '../cluster/local-cluster.js';
import { CliError } from '../kip/errors.js';
import { invocationDir } from '../kip/io.js';
import { ensureWritableDir, samplesJsonl, SAMPLES_FILE } from '../experiment/output.js';
import { InterruptedError } from '../experiment/sleep.js';
import { MAX_SEED, parseSoakCommandLine, USAGE, UsageError, type SoakOptions } from './command-line.js';
import { computeSoakReport, exitCodeOf } from './report.js';
import { renderSoakText } from './report-text.js';
import { runSoak } from './runner.js';

function say(line: string): void {
  process.stderr.write(line + '\n');
}

/** soak-results/<yyyymmdd-hhmmss>, in local time as a person would look for it. */
function defaultOutDir(when: Date, cwd: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return path.join(
    cwd,
    'soak-results',
    `${when.getFullYear()}${p(when.getMonth() + 1)}${p(when.getDate())}-${p(when.getHours())}${p(when.getMinutes())}${p(when.getSeconds())}`,
  );
}

function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

async function run(cmd: SoakOptions, signal: AbortSignal, onCluster: (c: LocalCluster) => void): Promise<number> {
  for (const f of [CONTROLPLANE_MAIN, AGENT_MAIN]) if (!existsSync(f)) throw new CliError(`${shown(f)} is missing; run npm install (or npm run build) first`);
  const startedAt = new Date();
  const dir = path.resolve(cmd.out ?? defaultOutDir(startedAt, process.cwd()));
  try {
    await ensureWritableDir(dir);
  } catch (err) {
    throw new UsageError(`${cmd.out ? '--out' : 'the default --out'}: cannot write the report to "${dir}": ${(err as Error).message}`);
  }
  const seed = cmd.seed ?? randomInt(MAX_SEED);
  const log = cmd.quiet ? () => {} : say;
  log(`soak: ${cmd.nodes} nodes, a kill every ${cmd.intervalMs / 1000}s for ${cmd.durationMs / 1000}s, seed ${seed} (--seed ${seed} replays the node choices)`);
  const result = await runSoak({ opts: { ...cmd, seed }, signal, log, onCluster });
  const report = computeSoakReport(result.input);
  if (result.leftovers > 0)
    report.warnings.push(`${result.leftovers} process(es) of the cluster were still running after it was stopped, and were killed by pid`);
  // The figures are shown before the files are written: a failed write must not lose the run.
  process.stdout.write('\n' + renderSoakText(report));
  const files = { json: path.join(dir, 'report.json'), samples: path.join(dir, SAMPLES_FILE) };
  try {
    await writeFile(files.samples, samplesJsonl([...result.samples].sort((a, b) => a.t - b.t || (a.seq ?? 0) - (b.seq ?? 0))));
    await writeFile(files.json, JSON.stringify({ ...report, samplesFile: SAMPLES_FILE, leftoverProcesses: result.leftovers }, null, 2) + '\n');
  } catch (err) {
    throw new CliError(`could not write the report to ${dir}: ${(err as Error).message}`);
  }
  process.stdout.write(`\nreport:  ${shown(files.json)}\nsamples: ${shown(files.samples)}\n`);
  return exitCodeOf(report);
}

function main(): void {
  // --out and the default results directory are the user's paths, from where `npm run soak` was
  // typed, not from the package root npm runs it in.
  try {
    process.chdir(invocationDir(process.env, process.cwd(), 'soak'));
  } catch {
    // that directory is gone; paths stay relative to where npm runs the script
  }
  let cmd: SoakOptions;
  try {
    cmd = parseSoakCommandLine(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`soak: ${(err as Error).message} (npm run soak -- --help lists every flag)\n`);
    process.exit(2);
  }
  if (cmd.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  process.title = 'kip-soak';
  const abort = new AbortController();
  let cluster: LocalCluster | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      say(`soak: ${sig} again: killing every process now`);
      cluster?.killAll();
      if (cluster && !cmd.keep) rmSync(cluster.opts.dataDir, { recursive: true, force: true });
      process.exit(130);
    }
    say(`\nsoak: ${sig}: stopping the chaos, reporting what ran, stopping every process (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to stop at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  run(cmd, abort.signal, (c) => (cluster = c)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`soak: ${err.message}\n`);
        process.exit(2);
      }
      if (err instanceof InterruptedError) {
        process.stderr.write('soak: interrupted before the chaos started; nothing was measured\n');
        process.exit(130);
      }
      const known = err instanceof ClientError || err instanceof ApiStatusError || err instanceof ConnectionError;
      process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n`);
      if (!known && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exit(abort.signal.aborted ? 130 : 1);
    },
  );
}

main();
