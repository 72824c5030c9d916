#!/usr/bin/env node
// kip-controlplane: API server, store, scheduler and controllers in one process.
//
//   node controlplane/dist/main.js [--port 7070] [--host 127.0.0.1] [--data-dir .kip]
//        [--profile fast|kubernetes] [--store memory|sqlite] [--api-token T] [--verbose]
//        [--node-monitor-grace-period 4s] [--pod-eviction-timeout 0s] [--heartbeat-interval 1s]

import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { AGENT_PATH, DEFAULT_API_PORT, createLogger, isProfileName, parseDuration, type Timing, failWithUsage, parseDaemonFlags, stopOnSignals } from '@kip/shared';
import { ControlPlane } from './server.js';
import { openSqliteStore } from './store/sqlite.js';
import type { Store } from './store/store.js';
import { loadOrCreateToken, tokenPath } from './token.js';

const USAGE = `usage: kip-controlplane [flags]
  --port N                       API port (default ${DEFAULT_API_PORT}; 0 picks a free one)
  --host ADDR                    address to listen on (default 127.0.0.1)
  --data-dir DIR                 where the join token and state live (default .kip)
  --profile fast|kubernetes      timing profile (default fast)
  --store memory|sqlite          keep state in memory only, or in <data-dir>/state.db (default memory)
  --api-token T                  require "Authorization: Bearer T" for writes
  --api-names N1,N2              more names the API is reached by (a request's Host must name
                                 the listening address, localhost or one of these)
  --heartbeat-interval D         agent heartbeat period (e.g. 1s)
  --node-monitor-grace-period D  missing heartbeats before a node is Unknown (e.g. 4s)
  --pod-eviction-timeout D       how long pods stay on an unreachable node (e.g. 0s, 300s)
  --node-eviction-rate R         nodes per second tainted for eviction per zone (e.g. 0.1)
  --secondary-node-eviction-rate R  the same while most of a large zone is unhealthy (e.g. 0.01)
  --exit-with-parent             stop when standard input closes (the launcher died)
  --verbose                      debug logging`;

function fail(msg: string): never {
  return failWithUsage('kip-controlplane', USAGE, msg);
}

function main(): void {
  const values = parseDaemonFlags('kip-controlplane', USAGE, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    profile: { type: 'string' },
    store: { type: 'string' },
    'api-token': { type: 'string' },
    'api-names': { type: 'string' },
    'heartbeat-interval': { type: 'string' },
    'node-monitor-grace-period': { type: 'string' },
    'pod-eviction-timeout': { type: 'string' },
    'node-eviction-rate': { type: 'string' },
    'secondary-node-eviction-rate': { type: 'string' },
  });
  const port = Number(values.port ?? DEFAULT_API_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: "${String(values.port)}" is not a port number`);
  const profile = String(values.profile ?? 'fast');
  if (!isProfileName(profile)) fail(`--profile: "${profile}" is not a profile; use fast or kubernetes`);
  const timing: Partial<Timing> = {};
  const durations: [string, keyof Timing][] = [
    ['heartbeat-interval', 'heartbeatIntervalMs'],
    ['node-monitor-grace-period', 'nodeMonitorGracePeriodMs'],
    ['pod-eviction-timeout', 'podEvictionTimeoutMs'],
  ];
  for (const [flag, key] of durations) {
    const v = values[flag];
    if (v === undefined) continue;
    const ms = parseDuration(String(v));
    if (ms === undefined) fail(`--${flag}: "${String(v)}" is not a duration such as 500ms, 4s or 5m`);
    timing[key] = ms;
  }
  const rates: [string, 'nodeEvictionRate' | 'secondaryNodeEvictionRate'][] = [
    ['node-eviction-rate', 'nodeEvictionRate'],
    ['secondary-node-eviction-rate', 'secondaryNodeEvictionRate'],
  ];
  for (const [flag, key] of rates) {
    const v = values[flag];
    if (v === undefined) continue;
    const rate = Number(v);
    if (!/^\d+(\.\d+)?$/.test(String(v)) || !Number.isFinite(rate)) fail(`--${flag}: "${String(v)}" is not a rate such as 0.1 (nodes per second)`);
    timing[key] = rate;
  }
  const storeKind = String(values.store ?? 'memory');
  if (storeKind !== 'memory' && storeKind !== 'sqlite') fail(`--store: "${storeKind}" is not a store; use memory or sqlite`);
  const dataDir = path.resolve(String(values['data-dir'] ?? '.kip'));
  const host = String(values.host ?? '127.0.0.1');
  const log = createLogger('controlplane', values.verbose ? 'debug' : 'info');
  process.title = 'kip-controlplane';

  let joinToken: string;
  try {
    joinToken = loadOrCreateToken(dataDir);
  } catch (err) {
    fail(`cannot read or create the join token in ${dataDir}: ${(err as Error).message}`);
  }
  // Work from the data dir, as a daemon does from its state dir (paths are absolute by now).
  process.chdir(dataDir);
  let store: Store | undefined;
  if (storeKind === 'sqlite') {
    try {
      store = openSqliteStore({ file: path.join(dataDir, 'state.db'), onHandlerError: (err) => log.error('store watcher failed', { error: err }) });
    } catch (err) {
      fail((err as Error).message);
    }
    log.info('state kept in SQLite', { file: path.join(dataDir, 'state.db'), resourceVersion: store.resourceVersion() });
  }
  const cp = new ControlPlane({ host, port, profile, timing, joinToken, store, apiToken: values['api-token'] as string | undefined, apiNames: String(values['api-names'] ?? '').split(',').map((n) => n.trim()).filter(Boolean), log });
  const infoFile = path.join(dataDir, 'controlplane.json');
  cp.start().then(
    ({ url, port: bound }) => {
      const agentUrl = `${url.replace(/^http/, 'ws')}${AGENT_PATH}`;
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(infoFile, JSON.stringify({ url, agentUrl, port: bound, pid: process.pid, tokenFile: tokenPath(dataDir), profile }, null, 2) + '\n');
      process.stdout.write(`kip-controlplane listening on ${url} (agents: ${agentUrl}, profile ${profile}, pid ${process.pid})\n`);
    },
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') fail(`port ${port} on ${host} is already in use; is another kip cluster running? (choose one with --port)`);
      fail(`cannot start: ${err.message}`);
    },
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    cp.stop().finally(() => {
      rmSync(infoFile, { force: true });
      process.exit(0);
    });
  };
  stopOnSignals(values, stop);
}

main();
