#!/usr/bin/env node
// kip-controlplane: API server, store, scheduler and controllers in one process.
//
//   node controlplane/dist/main.js [--port 7070] [--listen 127.0.0.1 [--tls]] [--data-dir .kip]
//        [--profile fast|kubernetes] [--store memory|sqlite|etcd://HOST:PORT[,...]] [--api-token T] [--verbose]
//        [--node-monitor-grace-period 4s] [--pod-eviction-timeout 0s] [--heartbeat-interval 1s]

import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  AGENT_PATH,
  cidrContains,
  DEFAULT_ADDRESS_PLAN,
  ipToString,
  parseCidr,
  DEFAULT_API_PORT,
  KUBECONFIG_FILE,
  writeKubeconfig,
  createLogger,
  isProfileName,
  parseDuration,
  type Timing,
  failWithUsage,
  parseDaemonFlags,
  stopOnSignals,
} from '@kip/shared';
import { DEFAULT_LOAD_BALANCER_CIDR } from './network/load-balancer.js';
import { parsePortRange } from './network/node-port.js';
import { ControlPlane } from './server.js';
import { EtcdStore, parseEtcdUrl } from './store/etcd.js';
import { openSqliteStore } from './store/sqlite.js';
import type { Store } from './store/store.js';
import { loadOrCreateTls, type ServingTls } from './tls.js';
import { loadOrCreateAdminToken, loadOrCreateToken, tokenPath } from './token.js';

const USAGE = `usage: kip-controlplane [flags]
  --port N                       API port (default ${DEFAULT_API_PORT}; 0 picks a free one)
  --listen ADDR                  address to listen on (default 127.0.0.1; --host is the same);
                                 any other than loopback needs --tls
  --tls                          serve HTTPS/WSS with a certificate from the cluster's own CA
                                 (<data-dir>/pki, made at first start); agents pin the CA by the
                                 hash printed at start
  --data-dir DIR                 where the join token and state live (default .kip)
  --profile fast|kubernetes      timing profile (default fast)
  --store memory|sqlite|etcd://HOST:PORT[,HOST:PORT...][/PREFIX]
                                 keep state in memory only, in <data-dir>/state.db, or in etcd
                                 under PREFIX (default /registry) (default memory)
  --pod-cidr CIDR                the pod network, a /24 per node (default 10.244.0.0/16)
  --service-cidr CIDR            the range of Services' cluster IPs (default 10.96.0.0/16)
  --service-node-port-range A-B  the ports NodePort services get on every node (default 30000-32767)
  --load-balancer-cidr CIDR      the loopback range LoadBalancer services get addresses from
                                 (default 127.0.2.0/24)
  --api-token T                  the admin bearer token every API request needs (default: one
                                 made at first start, in <data-dir>/admin-token and the kubeconfig)
  --anonymous                    serve the API without credentials (anyone who can reach it can
                                 run processes as this user)
  --api-names N1,N2              more names the API is reached by (a request's Host must name
                                 the listening address, localhost or one of these)
  --heartbeat-interval D         agent heartbeat period (e.g. 1s)
  --node-monitor-grace-period D  missing heartbeats before a node is Unknown (e.g. 4s)
  --pod-eviction-timeout D       how long pods stay on an unreachable node (e.g. 0s, 300s)
  --node-eviction-rate R         nodes per second tainted for eviction per zone (e.g. 0.1)
  --secondary-node-eviction-rate R  the same while most of a large zone is unhealthy (e.g. 0.01)
  --id ID                        this control plane's identity, the holder it writes in the leader
                                 Lease kube-system/kip-controller-manager (default <host>_<random>);
                                 with --store etcd:// control planes elect a leader, which alone
                                 runs the scheduler and the controllers
  --info-file NAME               where, in the data dir, to say where this control plane listens
                                 (default controlplane.json; a second control plane needs its own)
  --skip-kubeconfig              do not write <data-dir>/kubeconfig (another control plane did)
  --exit-with-parent             stop when standard input closes (the launcher died)
  --verbose                      debug logging`;

function isLoopbackAddress(a: string): boolean {
  return a === '::1' || a.startsWith('127.');
}

function isWildcard(a: string): boolean {
  return a === '0.0.0.0' || a === '::';
}

/** The machine's own IP addresses, loopback left out. */
function machineAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((i) => i && !i.internal)
    .map((i) => i!.address);
}

function fail(msg: string): never {
  return failWithUsage('kip-controlplane', USAGE, msg);
}

function main(): void {
  const values = parseDaemonFlags('kip-controlplane', USAGE, {
    port: { type: 'string' },
    host: { type: 'string' },
    listen: { type: 'string' },
    tls: { type: 'boolean' },
    'data-dir': { type: 'string' },
    profile: { type: 'string' },
    store: { type: 'string' },
    'pod-cidr': { type: 'string' },
    'service-cidr': { type: 'string' },
    'service-node-port-range': { type: 'string' },
    'load-balancer-cidr': { type: 'string' },
    'api-token': { type: 'string' },
    anonymous: { type: 'boolean' },
    'api-names': { type: 'string' },
    'heartbeat-interval': { type: 'string' },
    'node-monitor-grace-period': { type: 'string' },
    'pod-eviction-timeout': { type: 'string' },
    'node-eviction-rate': { type: 'string' },
    'secondary-node-eviction-rate': { type: 'string' },
    id: { type: 'string' },
    'info-file': { type: 'string' },
    'skip-kubeconfig': { type: 'boolean' },
  });
  const id = values.id === undefined ? undefined : String(values.id);
  if (id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id))
    fail(`--id: "${id}" must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  const infoName = String(values['info-file'] ?? 'controlplane.json');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/.test(infoName)) fail(`--info-file: "${infoName}" must be a file name (no directory) ending in .json`);
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
  const storeSpec = String(values.store ?? 'memory');
  let etcd: { hosts: string[]; prefix: string } | undefined;
  if (storeSpec.startsWith('etcd://')) {
    try {
      etcd = parseEtcdUrl(storeSpec);
    } catch (err) {
      fail(`--store: ${(err as Error).message}`);
    }
  } else if (storeSpec !== 'memory' && storeSpec !== 'sqlite')
    fail(`--store: "${storeSpec}" is not a store; use memory, sqlite or etcd://HOST:PORT[,HOST:PORT...]`);
  const storeKind = etcd ? 'etcd' : storeSpec;
  const addressPlan = {
    podNetworkCidr: String(values['pod-cidr'] ?? DEFAULT_ADDRESS_PLAN.podNetworkCidr),
    serviceCidr: String(values['service-cidr'] ?? DEFAULT_ADDRESS_PLAN.serviceCidr),
  };
  const pods = parseCidr(addressPlan.podNetworkCidr);
  const services = parseCidr(addressPlan.serviceCidr);
  if (!pods || pods.prefix < 8 || pods.prefix > 24)
    fail(`--pod-cidr: "${addressPlan.podNetworkCidr}" must be a CIDR from /8 to /24 (a /24 goes to each node), e.g. 10.244.0.0/16`);
  if (!services || services.prefix < 12 || services.prefix > 24)
    fail(`--service-cidr: "${addressPlan.serviceCidr}" must be a CIDR from /12 to /24, e.g. 10.96.0.0/16`);
  if (cidrContains(pods, services.base) || cidrContains(services, pods.base))
    fail(`--pod-cidr ${addressPlan.podNetworkCidr} and --service-cidr ${addressPlan.serviceCidr} overlap: a cluster IP must never be a pod's address`);
  const nodePortRange = parsePortRange(String(values['service-node-port-range'] ?? '30000-32767'));
  if (!nodePortRange) fail(`--service-node-port-range: "${String(values['service-node-port-range'])}" is not a port range such as 30000-32767`);
  const loadBalancerCidr = String(values['load-balancer-cidr'] ?? DEFAULT_LOAD_BALANCER_CIDR);
  const lbRange = parseCidr(loadBalancerCidr);
  // Tests and users reach load balancers from this machine: the range must be loopback (127.0.0.0/8).
  if (!lbRange || lbRange.prefix < 8 || lbRange.prefix > 30 || !isLoopbackAddress(ipToString(lbRange.base)))
    fail(`--load-balancer-cidr: "${loadBalancerCidr}" must be a loopback CIDR from /8 to /30, e.g. ${DEFAULT_LOAD_BALANCER_CIDR}`);
  const dataDir = path.resolve(String(values['data-dir'] ?? '.kip'));
  const host = String(values.listen ?? values.host ?? '127.0.0.1');
  if (isIP(host) === 0) fail(`--listen: "${host}" is not an IP address`);
  if (!isLoopbackAddress(host) && !values.tls)
    fail(`--listen ${host}: serving beyond this machine needs --tls (anyone who can reach the port would talk to the API in clear text)`);
  const apiNames = String(values['api-names'] ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const log = createLogger('controlplane', values.verbose ? 'debug' : 'info');
  process.title = 'kip-controlplane';

  let joinToken: string;
  try {
    joinToken = loadOrCreateToken(dataDir);
  } catch (err) {
    fail(`cannot read or create the join token in ${dataDir}: ${(err as Error).message}`);
  }
  let apiToken: string | undefined;
  if (values.anonymous) {
    if (values['api-token'] !== undefined) fail('--anonymous and --api-token contradict each other: choose one');
    log.warn('serving the API without credentials (--anonymous): every local user, and any program that reaches the port, can run processes as this user');
  } else {
    try {
      apiToken = (values['api-token'] as string | undefined) ?? loadOrCreateAdminToken(dataDir);
    } catch (err) {
      fail(`cannot read or create the admin token in ${dataDir}: ${(err as Error).message}`);
    }
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
  } else if (etcd) {
    try {
      store = new EtcdStore({
        ...etcd,
        onHandlerError: (err) => log.error('store watcher failed', { error: err }),
        // A store that can no longer follow etcd would serve a stale cache: exit, and be started
        // again (the launcher restarts a dead control plane), loading afresh.
        onBroken: (err) => {
          log.error('the etcd store cannot go on; exiting', { error: err });
          process.exit(1);
        },
      });
    } catch (err) {
      fail((err as Error).message);
    }
    log.info('state kept in etcd', { hosts: etcd.hosts.join(','), prefix: etcd.prefix, resourceVersion: store.resourceVersion() });
  }
  // A wildcard address is reached by the machine's own addresses: those are its names too.
  const names = [...new Set(['localhost', '127.0.0.1', ...(isWildcard(host) ? machineAddresses() : [host]), ...apiNames])];
  let tls: ServingTls | undefined;
  if (values.tls) {
    try {
      tls = loadOrCreateTls(dataDir, names);
    } catch (err) {
      fail(`cannot make or read the TLS certificates in ${path.join(dataDir, 'pki')}: ${(err as Error).message}`);
    }
  }
  // Control planes that share etcd elect a leader; one with its own store is always the leader.
  const leaderElection = etcd ? { ...(id !== undefined ? { identity: id } : {}) } : undefined;
  const cp = new ControlPlane({
    host,
    port,
    profile,
    timing,
    joinToken,
    store,
    durableStore: storeKind !== 'memory',
    tls,
    apiToken,
    apiNames: names,
    addressPlan,
    nodePortRange,
    loadBalancerCidr,
    dataDir,
    log,
    leaderElection,
  });
  const infoFile = path.join(dataDir, infoName);
  cp.start().then(
    ({ url, port: bound }) => {
      const agentUrl = `${url.replace(/^http/, 'ws')}${AGENT_PATH}`;
      mkdirSync(dataDir, { recursive: true });
      const ca = tls ? { caFile: tls.caFile, caCertHash: tls.caCertHash } : {};
      // The admin's kubeconfig, as kubeadm's admin.conf and k3s's k3s.yaml: kip, kubectl and the
      // scripts find the server and the credentials in it.
      const kubeconfig = path.join(dataDir, KUBECONFIG_FILE);
      if (!values['skip-kubeconfig'])
        writeKubeconfig(kubeconfig, 'kip', { server: url, ...(apiToken ? { token: apiToken } : {}), ...(tls ? { caPem: tls.caPem } : {}) });
      writeFileSync(
        infoFile,
        JSON.stringify(
          { url, agentUrl, port: bound, pid: process.pid, tokenFile: tokenPath(dataDir), kubeconfig, store: storeKind, profile, id: cp.identity, ...ca },
          null,
          2,
        ) + '\n',
      );
      process.stdout.write(`kip-controlplane listening on ${url} (agents: ${agentUrl}, profile ${profile}, pid ${process.pid})\n`);
      if (tls) process.stdout.write(`kip-controlplane CA ${tls.caFile}, pin it with --discovery-token-ca-cert-hash ${tls.caCertHash}\n`);
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
