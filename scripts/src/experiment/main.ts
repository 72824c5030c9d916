#!/usr/bin/env node
// `npm run experiment -- FILE`: runs a measured chaos experiment against the cluster at --server
// (or a private one with --nodes N), prints the report, and writes it to --out. Ctrl-C stops
// the timeline, reports what was measured so far, and cleans up; a second Ctrl-C stops at once.
// Exit codes: 0 done, 1 the run failed, 2 a mistake in the command line or the file, 130 interrupted.

import { ApiClient, resolveCredentials, ApiStatusError, ConnectionError, ClientError } from '@kip/shared';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../kip/errors.js';
import { invocationDir } from '../kip/io.js';
import { parseCommandLine, USAGE, UsageError, type CommandLine } from './command-line.js';
import { defaultOutDir, ensureWritableDir, writeReport } from './output.js';
import { PrivateCluster } from './private-cluster.js';
import { computeReport } from './report.js';
import { renderText } from './report-text.js';
import { runExperiment } from './runner.js';
import { InterruptedError } from './sleep.js';
import { ExperimentSpecError, parseExperiment } from './spec.js';
import { loadWorkload } from './workload.js';

/** A path as short as it can be said: relative below the working directory, else absolute. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function say(line: string): void {
  process.stderr.write(line + '\n');
}

async function run(cmd: CommandLine, signal: AbortSignal, onCluster: (c: PrivateCluster) => void): Promise<number> {
  const file = path.resolve(cmd.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read the experiment file "${cmd.file}"`);
  }
  const spec = parseExperiment(text, cmd.file);
  const workload = await loadWorkload(spec, path.dirname(file), cmd.file);
  const outParent = cmd.out ? path.resolve(cmd.out) : path.join(process.cwd(), 'experiment-results');
  try {
    await ensureWritableDir(outParent);
  } catch (err) {
    throw new UsageError(`${cmd.out ? '--out' : 'the default --out'}: cannot write the report to "${outParent}": ${(err as Error).message}`);
  }
  const log = cmd.quiet ? () => {} : say;

  let cluster: PrivateCluster | undefined;
  try {
    if (cmd.nodes !== undefined) {
      log(`[setup] starting a private cluster of ${cmd.nodes} node(s)`);
      cluster = await PrivateCluster.start({ nodes: cmd.nodes, profile: cmd.profile, log });
      onCluster(cluster);
    }
    const api = cluster
      ? cluster.client('kip-experiment')
      : new ApiClient({
          ...resolveCredentials({
            ...(cmd.server ? { server: cmd.server } : {}),
            ...(cmd.token ? { token: cmd.token } : {}),
            ...(cmd.kubeconfig ? { kubeconfig: cmd.kubeconfig } : {}),
            env: process.env,
          }),
          userAgent: 'kip-experiment',
        });
    const c = cluster;
    const result = await runExperiment({
      api,
      spec,
      workload,
      keep: cmd.keep,
      signal,
      log,
      readyTimeoutMs: cmd.readyTimeoutMs,
      ...(c ? { clusterGone: () => c.isDown() } : {}),
    });
    const report = computeReport(result.input);
    const dir = path.resolve(cmd.out ?? defaultOutDir(spec.name, new Date(result.input.startTime), process.cwd()));
    // The figures are shown before the files are written: a failed write must not lose the run.
    process.stdout.write('\n' + renderText(report));
    for (const w of result.warnings) process.stdout.write(`warning: ${w}\n`);
    const files = await writeReport(dir, report, result.samples, {
      experimentFile: cmd.file,
      probe: result.probe,
      cluster: { server: api.url.origin, private: cluster !== undefined, ...(cmd.nodes !== undefined ? { nodes: cmd.nodes } : {}) },
      faultStatus: result.faultStatus,
      warnings: result.warnings,
    }).catch((err: unknown) => {
      throw new CliError(`could not write the report to ${dir}: ${(err as Error).message}`);
    });
    process.stdout.write(`\nreport:  ${shown(files.json)}\n         ${shown(files.html)}\nsamples: ${shown(files.samples)}\n`);
    return report.interrupted ? 130 : 0;
  } finally {
    if (cluster) {
      log('[cleanup] stopping the private cluster');
      await cluster.stop();
    }
  }
}

function main(): void {
  // The experiment file, --out and the default results directory are the user's paths, from where
  // `npm run experiment` was typed, not from the package root npm runs it in.
  try {
    process.chdir(invocationDir(process.env, process.cwd(), 'experiment'));
  } catch {
    // that directory is gone; paths stay relative to where npm runs the script
  }
  let cmd: CommandLine;
  try {
    cmd = parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`experiment: ${(err as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (cmd.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const abort = new AbortController();
  let cluster: PrivateCluster | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      say(`experiment: ${sig} again: stopping now without cleaning up the workload`);
      cluster?.killAll();
      process.exit(130);
    }
    say(`\nexperiment: ${sig}: stopping the timeline and cleaning up (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to stop at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  run(cmd, abort.signal, (c) => (cluster = c)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`experiment: ${err.message}\n`);
        process.exit(2);
      }
      if (err instanceof ExperimentSpecError) {
        process.stderr.write(`experiment: ${err.message}\n`);
        process.exit(2);
      }
      if (err instanceof InterruptedError) {
        process.stderr.write('experiment: interrupted before the timeline started; nothing was measured\n');
        process.exit(130);
      }
      const known = err instanceof ClientError || err instanceof ApiStatusError || err instanceof ConnectionError;
      process.stderr.write(`experiment: ${err instanceof Error ? err.message : String(err)}\n`);
      if (!known && process.env.KIP_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    },
  );
}

main();
