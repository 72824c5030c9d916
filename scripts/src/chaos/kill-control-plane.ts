// `npm run chaos -- kill-control-plane [--restart-after D]`: SIGKILLs the control plane process,
// as a crashed API server and etcd would be lost, so that an experiment can see what losing it
// does: pods keep serving, scheduling and failover pause until it is back. The launcher restarts a
// control plane with a durable store from its data dir (after D when asked); one without, or one
// started by hand, stays down, and the command says so.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_DATA_DIR, parseDuration, readProcStat, RESTART_REQUEST_FILE, startedByLauncher, waitFor, type RestartRequest } from '@kip/shared';
import { CliError, UsageError } from '../kip/errors.js';
import type { ParsedFlags } from '../kip/flags.js';
import type { CliIO } from '../kip/io.js';

interface ControlPlaneInfo {
  pid: number;
  url: string;
  store?: string;
}

function readInfo(dataDir: string): ControlPlaneInfo {
  const file = path.join(dataDir, 'controlplane.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ControlPlaneInfo;
  } catch {
    throw new CliError(`no control plane runs from ${dataDir} (${file} is missing); name its data dir with --data-dir`);
  }
}

/** Whether the store controlplane.json names (memory, sqlite or etcd) keeps the state across a restart. */
export function durableStore(store: string | undefined): boolean {
  return store === 'sqlite' || store === 'etcd';
}

export async function killControlPlane(flags: ParsedFlags, io: CliIO): Promise<number> {
  const dataDir = path.resolve(io.cwd, flags.str('data-dir') || io.env.KIP_DATA_DIR || DEFAULT_DATA_DIR);
  const afterText = flags.str('restart-after');
  const delayMs = afterText === undefined ? undefined : parseDuration(afterText);
  if (afterText !== undefined && delayMs === undefined)
    throw new UsageError(`invalid argument "${afterText}" for "--restart-after" flag: must be a duration such as 10s`);
  const info = readInfo(dataDir);
  const server = flags.str('server') || io.env.KIP_SERVER;
  if (server && server.replace(/\/+$/, '') !== info.url)
    throw new UsageError(`the control plane of ${dataDir} serves ${info.url}, not ${server}; name the right --data-dir`);
  if (!readProcStat(info.pid)) throw new CliError(`the control plane of ${dataDir} (pid ${info.pid}) is not running`);
  const supervised = startedByLauncher(info.pid);
  const durable = durableStore(info.store);
  if (flags.bool('dry-run')) {
    io.stdout.write(`dry run: would SIGKILL the control plane (pid ${info.pid}) of ${info.url}; nothing was done\n`);
    return 0;
  }
  if (delayMs !== undefined) {
    const request: RestartRequest = { delayMs, chaos: 'kill-control-plane', requestedAt: io.now() };
    writeFileSync(path.join(dataDir, RESTART_REQUEST_FILE), JSON.stringify(request) + '\n');
  }
  process.kill(info.pid, 'SIGKILL');
  await waitFor('the control plane to exit', () => readProcStat(info.pid) === undefined || readProcStat(info.pid)?.state === 'Z', {
    timeoutMs: 5000,
    intervalMs: 20,
  });
  io.stdout.write(`killed the control plane (pid ${info.pid}) of ${info.url}\n`);
  if (!supervised) io.stdout.write(`nothing restarts it: it was not started by kip's launcher; start kip-controlplane again with --data-dir ${dataDir}\n`);
  else if (!durable) io.stdout.write('its state was in memory only: the launcher stops the cluster (run it with --store sqlite or etcd to survive this)\n');
  else
    io.stdout.write(
      `the launcher restarts it from ${dataDir}${delayMs !== undefined ? ` in ${afterText}` : ''}; pods keep running meanwhile, scheduling and failover wait\n`,
    );
  return 0;
}
