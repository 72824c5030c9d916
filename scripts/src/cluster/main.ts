#!/usr/bin/env node
// The cluster launcher: `npm run cluster -- --nodes 5` starts the control plane and five agents,
// each its own OS process, waits until every node is Ready, and stays in the foreground reporting
// what happens to them. Ctrl-C or SIGTERM stops everything and leaves no process behind.

import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_API_PORT,
  DEFAULT_DATA_DIR,
  isLabelKey,
  isLabelValue,
  isProfileName,
  isQuantity,
  parseDuration,
  readCommandLine,
  RESTART_REQUEST_FILE,
} from '@kip/shared';
import { AGENT_MAIN, CONTROLPLANE_MAIN, LocalCluster, ROOT, consumeRestartRequest, isRunning } from './local-cluster.js';

/** A control plane that dies is started again after this, doubled for each time it died at once. */
const CONTROL_PLANE_RESTART_DELAY_MS = 1000;
/** Dying within this long of its start counts as dying at once. */
const CONTROL_PLANE_QUICK_EXIT_MS = 10_000;
const CONTROL_PLANE_MAX_QUICK_EXITS = 5;

const USAGE = `usage: npm run cluster -- [flags]
  --nodes N              how many nodes (agent processes) to start (default 3)
  --port N               API port (default ${DEFAULT_API_PORT})
  --data-dir DIR         token, pod directories and logs (default .kip)
  --node-cpu Q           cpu capacity of each node (default 4)
  --node-memory Q        memory capacity of each node (default 8Gi)
  --node-labels K=V,...  labels every node gets, e.g. disk=ssd
  --zones A,B,...        spread the nodes over these zones (node-1 in A, node-2 in B, ...),
                         as the label topology.kubernetes.io/zone, for topology spread
                         constraints and pod affinity by zone
  --profile P            timing profile: fast (default) or kubernetes
  --store S              where the control plane keeps the cluster: sqlite (the
                         default: <data-dir>/state.db; the cluster comes back when
                         started again, and a control plane that dies is restarted
                         from it while the pods keep running), memory (gone when
                         the control plane stops) or etcd://HOST:PORT[,HOST:PORT...][/PREFIX]
                         (every object in etcd under PREFIX, default /registry; more
                         than one control plane can share it)
  --control-planes N     run N control planes (default 1; more needs --store etcd://):
                         they elect a leader, which alone schedules and reconciles,
                         the others serve the API and take over within seconds when
                         it dies; every agent is given every address and fails over
  --fresh                start from an empty cluster, forgetting the stored one
  --pod-cidr CIDR        the pod network, a /24 per node (default 10.244.0.0/16)
  --service-cidr CIDR    the range of Services' cluster IPs (default 10.96.0.0/16)
  --service-node-port-range A-B  the ports NodePort services get on every node (default 30000-32767)
  --load-balancer-cidr CIDR      the loopback range LoadBalancer services get addresses from (default 127.0.2.0/24)
  --plain-http           serve the API and the agents' connections over plain HTTP and
                         ws:// instead of TLS from the cluster's own CA (<data-dir>/pki,
                         in the kubeconfig); kubectl sends no credentials over plain HTTP
  --restart-nodes        bring a node whose agent dies back under the same name
                         (a node restarted by chaos comes back even without it)
  --restart-delay D      how long to wait before that (default 3s)
  --verbose              debug logs from every process, and stack traces at
                         the lines of the .ts sources`;

function fail(msg: string): never {
  process.stderr.write(`cluster: ${msg}\n\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = readCommandLine(process.argv.slice(2), {
      nodes: { type: 'string', short: 'n' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'node-cpu': { type: 'string' },
      'node-memory': { type: 'string' },
      'node-labels': { type: 'string' },
      zones: { type: 'string' },
      profile: { type: 'string' },
      store: { type: 'string' },
      'control-planes': { type: 'string' },
      fresh: { type: 'boolean' },
      tls: { type: 'boolean' },
      'pod-cidr': { type: 'string' },
      'service-cidr': { type: 'string' },
      'service-node-port-range': { type: 'string' },
      'load-balancer-cidr': { type: 'string' },
      'plain-http': { type: 'boolean' },
      'restart-nodes': { type: 'boolean' },
      'restart-delay': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const nodes = Number(values.nodes ?? 3);
  if (!Number.isInteger(nodes) || nodes < 0 || nodes > 256) fail(`--nodes: "${String(values.nodes)}" must be a whole number from 0 to 256`);
  const port = Number(values.port ?? DEFAULT_API_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: "${String(values.port)}" is not a port number`);
  const cpu = String(values['node-cpu'] ?? '4');
  const memory = String(values['node-memory'] ?? '8Gi');
  if (!isQuantity(cpu)) fail(`--node-cpu: "${cpu}" is not a quantity such as 4 or 500m`);
  if (!isQuantity(memory)) fail(`--node-memory: "${memory}" is not a quantity such as 8Gi or 512Mi`);
  const nodeLabels = values['node-labels'] === undefined ? undefined : String(values['node-labels']);
  for (const part of nodeLabels?.split(',') ?? []) {
    const i = part.indexOf('=');
    if (i <= 0 || !isLabelKey(part.slice(0, i)) || !isLabelValue(part.slice(i + 1)))
      fail(`--node-labels: "${part}" is not KEY=VALUE with a valid label key and value`);
  }
  const zones = values.zones === undefined ? [] : String(values.zones).split(',');
  for (const z of zones) if (z === '' || !isLabelValue(z)) fail(`--zones: "${z}" is not a valid label value`);
  const profile = String(values.profile ?? 'fast');
  if (!isProfileName(profile)) fail(`--profile: "${profile}" is not a profile; use fast or kubernetes`);
  const store = String(values.store ?? 'sqlite');
  // An etcd:// URL is checked by the control plane, which says what is wrong with it.
  if (!store.startsWith('etcd://') && store !== 'sqlite' && store !== 'memory')
    fail(`--store: "${store}" is not a store; use sqlite, memory or etcd://HOST:PORT[,HOST:PORT...]`);
  const controlPlanes = Number(values['control-planes'] ?? 1);
  if (!Number.isInteger(controlPlanes) || controlPlanes < 1 || controlPlanes > 7)
    fail(`--control-planes: "${String(values['control-planes'])}" must be a whole number from 1 to 7`);
  if (controlPlanes > 1 && !store.startsWith('etcd://'))
    fail(`--control-planes ${controlPlanes} needs a store they share: --store etcd://HOST:PORT (${store} belongs to one process)`);
  const restartDelayMs = parseDuration(String(values['restart-delay'] ?? '3s'));
  if (restartDelayMs === undefined) fail(`--restart-delay: "${String(values['restart-delay'])}" is not a duration such as 3s`);
  return {
    nodes,
    port,
    dataDir: path.resolve(String(values['data-dir'] ?? '.kip')),
    cpu,
    memory,
    nodeLabels,
    zones,
    profile,
    store,
    controlPlanes,
    fresh: !!values.fresh,
    // TLS by default, as kind and k3d serve: kubectl sends a kubeconfig's token only over https.
    tls: !values['plain-http'],
    // Checked by the control plane, which says what is wrong with them.
    ranges: [
      ...(values['pod-cidr'] !== undefined ? ['--pod-cidr', String(values['pod-cidr'])] : []),
      ...(values['service-cidr'] !== undefined ? ['--service-cidr', String(values['service-cidr'])] : []),
      ...(values['service-node-port-range'] !== undefined ? ['--service-node-port-range', String(values['service-node-port-range'])] : []),
      ...(values['load-balancer-cidr'] !== undefined ? ['--load-balancer-cidr', String(values['load-balancer-cidr'])] : []),
    ],
    restartNodes: !!values['restart-nodes'],
    restartDelayMs,
    verbose: !!values.verbose,
  };
}

/** The newest modification time of the .js files tsc wrote under dir, bundles left out. */
function newestCompiled(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.js')) continue;
    const file = path.join(e.parentPath, e.name);
    if (!file.includes(`${path.sep}bundle${path.sep}`)) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

/**
 * The processes run from bundles that `npm run build` makes after tsc; a `tsc -b` alone (or tsc
 * --watch) updates only the per-file output, and the cluster would run the code of the last build.
 */
function warnIfBundlesStale(): void {
  try {
    const compiled = Math.max(...['shared', 'controlplane', 'agent'].map((p) => newestCompiled(path.join(ROOT, p, 'dist'))));
    const bundled = Math.min(...[CONTROLPLANE_MAIN, AGENT_MAIN].map((f) => statSync(f).mtimeMs));
    if (compiled > bundled)
      process.stderr.write('cluster: warning: the bundles are older than what tsc compiled since; run npm run build to start the new code\n');
  } catch {
    // a layout this check does not know: nothing to say
  }
}

async function main(): Promise<void> {
  const o = parse();
  for (const f of [CONTROLPLANE_MAIN, AGENT_MAIN])
    if (!existsSync(f)) fail(`${path.relative(process.cwd(), f)} is missing; run npm install (or npm run build) first`);
  warnIfBundlesStale();
  const infoFile = path.join(o.dataDir, 'controlplane.json');
  if (existsSync(infoFile)) {
    try {
      const info = JSON.parse(readFileSync(infoFile, 'utf8')) as { pid: number; url: string };
      process.kill(info.pid, 0);
      fail(`a cluster is already running from ${o.dataDir} (control plane pid ${info.pid}, ${info.url}); stop it first or use another --data-dir`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH' && !(err instanceof SyntaxError)) throw err;
    }
  }
  process.title = 'kip-cluster';
  const stateFile = path.join(o.dataDir, 'state.db');
  if (o.fresh) for (const suffix of ['', '-wal', '-shm']) rmSync(`${stateFile}${suffix}`, { force: true });
  if (o.fresh && o.store.startsWith('etcd://'))
    process.stderr.write(`cluster: --fresh does not empty etcd; the cluster stored under ${o.store} comes back (give another /PREFIX for an empty one)\n`);
  else if (o.store === 'sqlite' && existsSync(stateFile))
    process.stderr.write(
      `cluster: bringing back the cluster stored in ${path.relative(process.cwd(), stateFile) || stateFile} (--fresh starts an empty one)\n`,
    );
  const started = Date.now();
  let stopping = false;
  const cluster = new LocalCluster({
    dataDir: o.dataDir,
    port: o.port,
    profile: o.profile,
    nodeCpu: o.cpu,
    nodeMemory: o.memory,
    nodeLabels: o.nodeLabels,
    zones: o.zones,
    verbose: o.verbose,
    controlPlanes: o.controlPlanes,
    controlPlaneArgs: ['--store', o.store, ...(o.tls ? ['--tls'] : []), ...o.ranges],
    // With a durable store the launcher starts a dead control plane again (below): a ControlPlaneChaos may kill it.
    ...(o.store !== 'memory' ? { controlPlaneSupervisor: 'kip launcher (npm run cluster)' } : {}),
    onLine: (name, line) => process.stderr.write(`${name} | ${line}\n`),
    // A node whose agent asks to be restarted (chaos restart) always comes back; with
    // --restart-nodes, every node that dies does.
    restartNodes: o.restartNodes,
    restartDelayMs: o.restartDelayMs,
    onNodeExit: (m, how, restartInMs, reason) => {
      process.stderr.write(`cluster: node ${m.name} (agent pid ${m.child.pid}) ${how}\n`);
      if (restartInMs !== undefined) process.stderr.write(`cluster: restarting ${m.name} in ${restartInMs / 1000}s (${reason})\n`);
    },
    onNodeRestart: (m) => process.stderr.write(`cluster: ${m.name} restarted (agent pid ${m.child.pid})\n`),
  });

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nstopping the cluster...\n');
    const running = [...cluster.agents.values()].filter(isRunning).length;
    await cluster.stop();
    process.stderr.write(`stopped ${running} node(s) and the control plane\n`);
    process.exit(code);
  };
  process.on('SIGINT', () => {
    if (stopping) {
      // A second Ctrl-C: no more patience.
      cluster.killAll();
      process.exit(130);
    }
    void stopAll(0);
  });
  process.on('SIGTERM', () => void stopAll(0));
  process.on('SIGHUP', () => void stopAll(0));

  let url: string;
  try {
    url = await cluster.startControlPlanes();
  } catch (err) {
    process.stderr.write(`cluster: ${(err as Error).message}\n`);
    process.exit(1);
  }
  // The control plane is one more process that can die: with a durable store it comes back from the
  // data dir on its old port, and the agents, which keep their pods running meanwhile, reconnect.
  // One that keeps dying at once is not helped by restarting it forever.
  const quickExitsOf: number[] = [];
  const watchControlPlane = (index: number, startedAt: number): void => {
    const cp = cluster.controlPlanes[index];
    void cp.exited.then(async ({ code, signal }) => {
      if (stopping) return;
      const how = signal ?? `code ${code}`;
      if (o.store === 'memory') {
        process.stderr.write(`cluster: the control plane exited unexpectedly (${how}); its state was in memory only, so stopping the nodes\n`);
        return stopAll(1);
      }
      const quickExits = (quickExitsOf[index] = Date.now() - startedAt < CONTROL_PLANE_QUICK_EXIT_MS ? (quickExitsOf[index] ?? 0) + 1 : 0);
      if (quickExits >= CONTROL_PLANE_MAX_QUICK_EXITS) {
        process.stderr.write(`cluster: the control plane exited (${how}) ${quickExits} times in a row right after starting; stopping the nodes\n`);
        return stopAll(1);
      }
      // A restart asked for beforehand (npm run chaos -- kill-control-plane --restart-after D) sets the delay.
      const requested = consumeRestartRequest(path.join(o.dataDir, RESTART_REQUEST_FILE));
      const delayMs = requested?.delayMs ?? CONTROL_PLANE_RESTART_DELAY_MS * 2 ** quickExits;
      const why = requested ? `as ${requested.chaos ?? 'a restart request'} asked` : 'pods keep running';
      process.stderr.write(
        `cluster: the control plane (pid ${cp.child.pid}) exited unexpectedly (${how}); restarting it from ${o.dataDir} in ${delayMs / 1000}s, ${why}\n`,
      );
      await new Promise((r) => setTimeout(r, delayMs));
      if (stopping) return;
      const at = Date.now();
      try {
        await cluster.startControlPlane(index);
        process.stderr.write(`cluster: control plane restarted (pid ${cluster.controlPlanes[index].child.pid}) at ${cluster.urls[index]}\n`);
      } catch (err) {
        process.stderr.write(`cluster: ${(err as Error).message}\n`);
      }
      if (!stopping) watchControlPlane(index, at);
    });
  };
  for (let i = 0; i < o.controlPlanes; i++) watchControlPlane(i, started);

  // A few at a time, so that the control plane keeps answering the agents that already started.
  void cluster.startAgents(Array.from({ length: o.nodes }, (_, i) => `node-${i + 1}`));

  const tty = process.stderr.isTTY;
  try {
    await cluster.waitReady(o.nodes, 120_000, (ready) => {
      const line = `waiting for nodes: ${ready}/${o.nodes} Ready`;
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    });
  } catch (err) {
    if (stopping) return;
    process.stderr.write(`\ncluster: ${(err as Error).message}\n`);
    return stopAll(1);
  }
  if (stopping) return;
  if (tty) process.stderr.write('\n');
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const agentUrl = cluster.agentUrl;
  const tokenFile = cluster.tokenFile;
  // kip finds .kip/kubeconfig by itself when run from where the launcher was; anything else needs
  // to be told where the credentials are.
  const defaultPlace = path.resolve(o.dataDir) === path.resolve(DEFAULT_DATA_DIR);
  process.stdout.write(
    [
      ``,
      `kip cluster is up: ${o.nodes} node(s) Ready in ${secs}s (profile ${o.profile})`,
      `  API:           ${url}${cluster.urls.length > 1 ? ` (control planes: ${cluster.urls.join(', ')})` : ''}`,
      `  data dir:      ${o.dataDir}`,
      `  credentials:   ${cluster.kubeconfigFile} (for kubectl, or kip from elsewhere: export KUBECONFIG=${cluster.kubeconfigFile})`,
      ``,
      `Try:`,
      ...(defaultPlace ? [] : [`  export KUBECONFIG=${cluster.kubeconfigFile}`]),
      `  npm run kip -- get nodes -o wide`,
      `  npm run kip -- apply -f examples/deployment.yaml`,
      `  npm run kip -- get pods -o wide -w`,
      ``,
      `Join one more node by hand:`,
      `  node agent/dist/main.js --name node-${o.nodes + 1} --server ${agentUrl} --token-file ${path.relative(process.cwd(), tokenFile) || tokenFile} --data-dir ${path.relative(process.cwd(), o.dataDir) || '.'}${cluster.caCertHash ? ` --discovery-token-ca-cert-hash ${cluster.caCertHash}` : ''}`,
      ``,
      `Ctrl-C stops the cluster and every process it started.`,
      ``,
    ].join('\n'),
  );
}

void main();
