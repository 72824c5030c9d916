#!/usr/bin/env node
// kip-agent: one simulated node. A kubelet stand-in that runs pods as local processes and a
// kube-proxy stand-in that carries their traffic, joined to the control plane over one WebSocket.
//
//   node agent/dist/main.js --name node-3 [--server ws://127.0.0.1:7070] [--token-file .kip/token]
//        [--cpu 4] [--memory 8Gi] [--pods 110] [--labels zone=a,disk=ssd] [--data-dir .kip]
//        [--images .kip/images.yaml] [--verbose]

import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  AGENT_PATH,
  DEFAULT_API_PORT,
  createLogger,
  isDNS1123Subdomain,
  isIPv4,
  isLabelKey,
  isLabelValue,
  parseBytes,
  parseCpuMillis,
  isQuantity,
  failWithUsage,
  parseDaemonFlags,
  stopOnSignals,
  readSecretFile,
  realClock,
  SecretFileError,
} from '@kip/shared';
import { Agent } from './agent.js';
import { isCaCertHash } from './ca-pin.js';
import { Kubelet } from './kubelet/kubelet.js';
import { resolvePodClaims } from './kubelet/pvc-volume.js';
import { PodAddresses } from './kubelet/pod-addresses.js';
import { GroupRegistry } from './kubelet/process-group.js';
import { probeSandboxShared } from './kubelet/sandbox-probe-shared.js';
import { Reports } from './reports.js';
import { NodeProxy } from './proxy/node-proxy.js';
import { apiServerEnv } from './proxy/service-env.js';
import { AgentChaos } from './chaos/agent-chaos.js';
import { configureImages, userImagesProblem } from './images/registry.js';

const USAGE = `usage: kip-agent --name NODE [flags]
  --name NODE         node name (required), e.g. node-3
  --server URL[,URL]  control plane (default ws://127.0.0.1:${DEFAULT_API_PORT}; http:// works too);
                      several control planes sharing one store: the agent talks to one and,
                      on losing it, fails over to the next, its pods running all along
  --token T           cluster join token (or KIP_TOKEN, or --token-file)
  --token-file F      file holding the token (default <data-dir>/token)
  --discovery-token-ca-cert-hash sha256:HEX
                      for a wss:// server: trust the CA whose key has this hash (printed by the
                      control plane at start, as kubeadm join takes it)
  --ca-file F         for a wss:// server: the CA to trust (else the system's)
  --cpu N             cpu capacity in cores or millicores (default 4)
  --memory Q          memory capacity (default 8Gi)
  --pods N            most pods this node runs (default 110)
  --labels K=V,...    node labels, e.g. zone=a,disk=ssd
  --node-ip ADDR      the node's own address (its InternalIP): where it listens on NodePorts and
                      where other agents reach its tunnel (the launcher gives node-N 127.0.1.N);
                      without it, tunnels listen on 127.0.0.1 and no NodePort is opened; off
                      loopback, tunnels to it run inside TLS keyed by the token
  --tunnel-tls        take only TLS tunnels even on loopback (as a node reachable from other hosts)
  --data-dir DIR      where pod directories and logs live (default .kip)
  --images FILE       your own images: a YAML or JSON file mapping image names to programs on
                      this host (read again when it changes; see the README's images section)
  --exit-with-parent  stop when standard input closes (the launcher died)
  --verbose           debug logging`;

function fail(msg: string): never {
  return failWithUsage('kip-agent', USAGE, msg);
}

/** Accepts ws://host:port, http://host:port or a full agent URL. */
function agentUrl(server: string): string {
  let u: URL;
  try {
    u = new URL(server.includes('://') ? server : `ws://${server}`);
  } catch {
    fail(`--server: "${server}" is not a URL such as ws://127.0.0.1:${DEFAULT_API_PORT}`);
  }
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') fail(`--server: "${server}" must be a ws:// or http:// URL`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = AGENT_PATH;
  return u.toString();
}

function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!s) return out;
  for (const part of s.split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) fail(`--labels: "${part}" is not KEY=VALUE`);
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (!isLabelKey(k)) fail(`--labels: "${k}" is not a valid label key`);
    if (!isLabelValue(v)) fail(`--labels: "${v}" is not a valid label value`);
    out[k] = v;
  }
  return out;
}

async function main(): Promise<void> {
  const values = parseDaemonFlags('kip-agent', USAGE, {
    name: { type: 'string' },
    server: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    'discovery-token-ca-cert-hash': { type: 'string' },
    'ca-file': { type: 'string' },
    cpu: { type: 'string' },
    memory: { type: 'string' },
    pods: { type: 'string' },
    labels: { type: 'string' },
    'node-ip': { type: 'string' },
    'tunnel-tls': { type: 'boolean' },
    'data-dir': { type: 'string' },
    images: { type: 'string' },
  });
  const name = values.name as string | undefined;
  if (!name) fail('--name is required');
  if (!isDNS1123Subdomain(name)) fail(`--name: "${name}" must be lowercase letters, digits, '-' or '.'`);
  const cpu = String(values.cpu ?? '4');
  const memory = String(values.memory ?? '8Gi');
  const pods = String(values.pods ?? '110');
  if (!isQuantity(cpu) || parseCpuMillis(cpu) <= 0) fail(`--cpu: "${cpu}" is not a cpu quantity such as 4 or 1500m`);
  if (!isQuantity(memory) || parseBytes(memory) <= 0) fail(`--memory: "${memory}" is not a memory quantity such as 8Gi or 512Mi`);
  if (!/^\d+$/.test(pods) || Number(pods) <= 0) fail(`--pods: "${pods}" is not a positive whole number`);
  const dataDir = path.resolve(String(values['data-dir'] ?? '.kip'));
  let token = (values.token as string | undefined) ?? process.env.KIP_TOKEN;
  if (!token) {
    const file = path.resolve(String(values['token-file'] ?? path.join(dataDir, 'token')));
    try {
      token = readSecretFile(file);
    } catch (err) {
      if (err instanceof SecretFileError) fail(err.message);
      fail(`no join token: pass --token, set KIP_TOKEN, or point --token-file at the control plane's token (${file}: ${(err as NodeJS.ErrnoException).code})`);
    }
  }
  const servers = String(values.server ?? `ws://127.0.0.1:${DEFAULT_API_PORT}`)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(agentUrl);
  if (servers.length === 0) fail('--server: give at least one control plane URL');
  if (new Set(servers.map((s) => s.startsWith('wss:'))).size > 1) fail('--server: the control planes must all be ws:// or all wss://');
  const server = servers[0];
  const caCertHash = values['discovery-token-ca-cert-hash'] as string | undefined;
  if (caCertHash !== undefined && !isCaCertHash(caCertHash))
    fail(`--discovery-token-ca-cert-hash: "${caCertHash}" must look like sha256:<64 hex digits>, as the control plane prints it`);
  let ca: string | undefined;
  if (values['ca-file'] !== undefined) {
    try {
      ca = readFileSync(path.resolve(String(values['ca-file'])), 'utf8');
    } catch (err) {
      fail(`--ca-file: cannot read ${String(values['ca-file'])}: ${(err as Error).message}`);
    }
  }
  if ((caCertHash || ca) && !server.startsWith('wss:')) fail('--discovery-token-ca-cert-hash and --ca-file are for a wss:// (TLS) server');
  const imagesFile = values.images !== undefined ? path.resolve(String(values.images)) : undefined;
  // Stand-ins for the programs images bring (nginx, wget, /agnhost) live in the data dir, shared by its nodes.
  configureImages({ ...(imagesFile ? { imagesFile } : {}), standInDir: path.join(dataDir, 'image-bin') });
  const imagesProblem = userImagesProblem();
  if (imagesProblem) fail(`--images: ${imagesProblem}`);
  const log = createLogger(`agent ${name}`, values.verbose ? 'debug' : 'info');
  process.title = `kip-agent ${name}`;

  // A restarted agent starts from nothing: whatever its last run left behind died with it.
  const nodeDir = path.join(dataDir, 'nodes', name);
  rmSync(path.join(nodeDir, 'pods'), { recursive: true, force: true });
  mkdirSync(nodeDir, { recursive: true });
  // Work from the node's own directory, as a daemon does from its state dir (paths are absolute by now).
  process.chdir(nodeDir);

  const clock = realClock;
  // Every process group a pod starts, so that the agent's exit takes them all down with it.
  const groups = new GroupRegistry();
  // Belt and braces: the watchers already take pods down with the agent; this is the fast path.
  process.on('exit', () => groups.killAll());
  // Pod IPs and host ports: the kubelet allocates them, the proxy looks them up.
  const addresses = new PodAddresses();
  // Pod status and events wait here until the control plane is there to hear them.
  const reports = new Reports(clock);

  // The proxy listens before the agent says hello: its tunnel address is part of the hello.
  const nodeIP = values['node-ip'] as string | undefined;
  if (nodeIP !== undefined && !isIPv4(nodeIP)) fail(`--node-ip: "${nodeIP}" is not an IPv4 address`);
  const proxy = new NodeProxy({
    nodeName: name,
    token,
    log,
    localPort: (ip, port) => addresses.localPort(ip, port),
    ...(nodeIP ? { tunnelHost: nodeIP, nodeIP } : {}),
    ...(values['tunnel-tls'] ? { tunnelTls: true } : {}),
  });
  // Whether containers get their own namespaces here: probed once, alongside the proxy's start,
  // or taken from the answer another agent of this data dir stored.
  const sandbox = probeSandboxShared(dataDir, nodeDir);
  try {
    await proxy.start();
  } catch (err) {
    log.error('cannot start the network proxy', { node: name, error: (err as Error).message });
    process.exit(1);
  }
  // Network faults go on the proxy's links and on the connection to the control plane; node faults act on this process.
  const sandboxSupport = await sandbox;
  const masterServiceEnv = apiServerEnv(new URL(server));
  const chaos = new AgentChaos({ nodeName: name, nodeDir, log, token, link: (peer) => proxy.link(peer), event: (e) => reports.event(e) });
  // One phase for all of this agent's periodic work, its own so that agents do not wake together.
  const tickPhaseMs = Math.floor(Math.random() * 1000);
  const agent = new Agent({
    name,
    tickPhaseMs,
    server,
    servers,
    token,
    capacity: { cpu, memory, pods },
    labels: parseLabels(values.labels as string | undefined),
    log,
    clock,
    reports,
    // The welcome brings the node's pod CIDR and the cluster's timing, which the kubelet runs by.
    kubelet: ({ podCIDR, timing }) =>
      new Kubelet({
        nodeName: name,
        dataDir: nodeDir,
        podCIDR,
        timing,
        log,
        clock,
        addresses,
        groups,
        sandbox: sandboxSupport,
        tickPhaseMs,
        hooks: {
          status: (u) => reports.status(u),
          event: (e) => reports.event(e),
          terminated: (r) => reports.terminated(r),
        },
        // The kubernetes service's variables first, so that a service of the pod's own namespace wins.
        extraEnv: (pod) => ({ ...masterServiceEnv, ...proxy.podEnv(pod) }),
        addressReleased: (ip) => proxy.podGone(ip),
        allocatable: { cpu, memory, pods },
        claims: (pod) => resolvePodClaims(agent.apiClient(), pod),
      }),
    onRefused: () => shutdown(2),
    ...(caCertHash ? { caCertHash } : {}),
    ...(ca ? { ca } : {}),
    tunnelEndpoint: () => proxy.tunnelEndpoint(),
    ...(nodeIP ? { nodeIP } : {}),
    onRoutes: (routes) => {
      proxy.applyRoutes(routes);
      return proxy.settled();
    },
    onPodDeleting: (pod) => proxy.podDeleting(pod),
    onChaos: (msg) => chaos.handle(msg),
    createConnection: (target) => chaos.connectControlPlane(target),
  });
  let stopping = false;
  function shutdown(code: number): void {
    if (stopping) return;
    stopping = true;
    log.info('node shutting down; stopping pods gracefully', { node: name });
    const kubelet = agent.kubelet;
    // Not yet welcomed: nothing runs, and hanging up now keeps a late welcome from starting anything.
    if (!kubelet) agent.stop();
    // Pods stop first: a pod that drains on SIGTERM may still need the network.
    Promise.resolve(kubelet?.shutdown())
      .then(() => proxy.stop())
      .finally(() => {
        agent.stop();
        // A moment for the close frame to leave, then go, whatever is still pending.
        process.exitCode = code;
        setTimeout(() => process.exit(code), 100);
      });
  }
  stopOnSignals(values, () => shutdown(0));
  process.on('uncaughtException', (err) => {
    log.error('agent crashed', { node: name, error: err.stack ?? String(err) });
    process.exit(1);
  });

  agent.start();
  log.info('agent started', { node: name, pid: process.pid, server, cpu, memory, pods });
}

void main();
