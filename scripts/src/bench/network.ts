// The pod network's cost, on this machine, in one run: throughput of one bulk stream and the round
// trip of a 64-byte ping-pong for (a) direct loopback to a pod's host port, (b) through the
// node's service listener to a pod on the same node (one proxy hop), and (c) pod to pod across two
// agents (the client's agent, the tunnel, the pod's agent), with a plain Node socket pipe in front
// of the same pod as a reference row. The cluster is real: a control plane and two agent
// processes; the pods are `tcp-echo` processes; this process plays the client pod on node-1,
// connecting where a pod would (its node's listener, its node's HTTP proxy).
//
// Run alone: node scripts/dist/bench/network.js [--bytes 1073741824] [--pings 10000] [--rounds 3]

import { percentile, readCommandLine, waitFor } from '@kip/shared';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Endpoints, Pod, Service } from '@kip/shared';
import { LocalCluster } from '../cluster/local-cluster.js';
import { printTable } from './table.js';

export interface Row {
  path: string;
  /** MB/s (10^6 bytes) of one stream of `bytes` */
  mbPerSecond: number;
  /** round trip of a 64-byte message, microseconds */
  p50Us: number;
  p99Us: number;
  /** against (a), direct loopback */
  throughputRatio: number;
  /** p50 round trip added over (a), per proxy hop on the way (b: 1 hop, c: 2 hops) */
  addedUsPerHop: number;
  hops: number;
}

/** Published figures the rows are read against. */
export const NETWORK_ANCHORS = [
  'Kubernetes userspace kube-proxy (2015): about 36% of direct throughput',
  'Toxiproxy: under 100 us added latency, about 1 GB/s',
  'a plain Node socket pipe on this class of machine: about 57% of direct throughput, about 60 us per hop',
];

const MB = 1e6;
const PING_BYTES = 64;
/** Round trips on each new connection not counted: the first ones pay for JIT and buffers. */
const WARMUP_PINGS = 200;
const CHUNK = Buffer.alloc(1 << 20, 0x6b);

/** An open stream to somewhere: a direct connect, or a CONNECT through an HTTP proxy. */
type Dial = () => Promise<net.Socket>;

function direct(port: number): Dial {
  return () =>
    new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
}

/** CONNECT host:port through the HTTP proxy at proxyPort; resolves with the raw stream. */
function viaProxy(proxyPort: number, target: string): Dial {
  return async () => {
    const s = await direct(proxyPort)();
    s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
    const head = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const onData = (d: Buffer) => {
        buf += d.toString('latin1');
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        s.off('data', onData);
        s.pause();
        if (end + 4 < buf.length) s.unshift(Buffer.from(buf.slice(end + 4), 'latin1'));
        resolve(buf.slice(0, end));
      };
      s.on('data', onData);
      s.once('error', reject);
    });
    if (!/^HTTP\/1\.1 200/.test(head)) throw new Error(`CONNECT ${target}: ${head.split('\r\n')[0]}`);
    return s;
  };
}

/** One stream of `bytes` into a sink, timed from the first byte sent to the sink's count coming back. */
async function throughput(dial: Dial, bytes: number): Promise<number> {
  const s = await dial();
  const started = performance.now();
  const counted = new Promise<string>((resolve, reject) => {
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.once('end', () => resolve(text.trim()));
    s.once('error', reject);
    // A stream from viaProxy() was left paused after its CONNECT answer.
    s.resume();
  });
  for (let sent = 0; sent < bytes; sent += CHUNK.length) {
    const c = bytes - sent >= CHUNK.length ? CHUNK : CHUNK.subarray(0, bytes - sent);
    if (!s.write(c)) await new Promise((r) => s.once('drain', r));
  }
  s.end();
  const got = await counted;
  const seconds = (performance.now() - started) / 1000;
  s.destroy();
  if (Number(got) !== bytes) throw new Error(`the sink counted ${got} bytes of ${bytes}`);
  return bytes / MB / seconds;
}

/** Round trips of a 64-byte message on one connection to an echo, in microseconds. */
async function pingPong(dial: Dial, pings: number): Promise<number[]> {
  const s = await dial();
  s.setNoDelay(true);
  const msg = Buffer.alloc(PING_BYTES, 0x70);
  const times: number[] = [];
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    let n = 0;
    let t0 = 0n;
    const send = () => {
      t0 = process.hrtime.bigint();
      s.write(msg);
    };
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got < PING_BYTES) return;
      got -= PING_BYTES;
      if (n >= WARMUP_PINGS) times.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (++n === pings + WARMUP_PINGS) return resolve();
      send();
    });
    s.once('error', reject);
    s.resume();
    send();
  });
  s.destroy();
  return times;
}

// ---- the cluster -------------------------------------------------------------------------------

/** How long each step of setting the cluster up may take. */
const SET_UP_WAIT = { timeoutMs: 60_000 };

function serverPod(name: string, node: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'main',
          image: 'tcp-echo',
          ports: [
            { name: 'echo', containerPort: 7000 },
            { name: 'sink', containerPort: 7001 },
          ],
        },
      ],
    },
  };
}

interface Targets {
  direct: { echo: number; sink: number };
  listener: { echo: number; sink: number };
  remote: { proxyPort: number; echo: string; sink: string };
}

/** Two nodes, a tcp-echo pod on each, a Service over node-1's; where each path starts. */
async function setUp(cluster: LocalCluster): Promise<Targets> {
  const api = cluster.client('kip-bench');
  await api.call('POST', '/api/v1/namespaces/default/pods', { body: serverPod('bench-near', 'node-1') });
  await api.call('POST', '/api/v1/namespaces/default/pods', { body: serverPod('bench-far', 'node-2') });
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'bench-near', namespace: 'default' },
    spec: {
      selector: { app: 'bench-near' },
      ports: [
        { name: 'echo', port: 7000, targetPort: 'echo' },
        { name: 'sink', port: 7001, targetPort: 'sink' },
      ],
    },
  };
  await api.call('POST', '/api/v1/namespaces/default/services', { body: svc });
  const running = (name: string) =>
    waitFor(
      `pod ${name} to run`,
      async () => {
        const p = await api.call<Pod>('GET', `/api/v1/namespaces/default/pods/${name}`);
        return p.status?.phase === 'Running' && p.status.podIP && p.status.kipHostPorts?.['main/7001'] ? p : undefined;
      },
      SET_UP_WAIT,
    );
  const [near, far] = await Promise.all([running('bench-near'), running('bench-far')]);
  await waitFor(
    'the service endpoints',
    async () => {
      const ep = await api.call<Endpoints>('GET', '/api/v1/namespaces/default/endpoints/bench-near');
      return ep.subsets?.[0]?.addresses?.length === 1 ? ep : undefined;
    },
    SET_UP_WAIT,
  );
  const proxyLine = cluster.agents.get('node-1')!.output.find((l) => l.includes('network proxy listening'));
  const proxyPort = Number(/http=[\d.]+:(\d+)/.exec(proxyLine ?? '')?.[1]);
  if (!proxyPort) throw new Error('benchNetwork: node-1 did not say where its HTTP proxy listens');
  const listeners = await waitFor(
    'node-1 listeners for the service',
    async () => {
      const st = (await (await fetch(`http://127.0.0.1:${proxyPort}/status`)).json()) as {
        listeners: { service: string; servicePort: number; listenPort: number }[];
      };
      const mine = st.listeners.filter((l) => l.service === 'default/bench-near');
      return mine.length === 2 ? mine : undefined;
    },
    SET_UP_WAIT,
  );
  // The tcp-echo pods must be listening before anything is timed.
  const far2 = far.status!.podIP!;
  await waitFor(
    'the pods to answer',
    async () => {
      const ports = near.status!.kipHostPorts!;
      for (const d of [direct(ports['main/7000']!), direct(ports['main/7001']!), viaProxy(proxyPort, `${far2}:7000`), viaProxy(proxyPort, `${far2}:7001`)])
        (await d()).destroy();
      return true;
    },
    SET_UP_WAIT,
  );
  return {
    direct: { echo: near.status!.kipHostPorts!['main/7000']!, sink: near.status!.kipHostPorts!['main/7001']! },
    listener: { echo: listeners.find((l) => l.servicePort === 7000)!.listenPort, sink: listeners.find((l) => l.servicePort === 7001)!.listenPort },
    remote: { proxyPort, echo: `${far2}:7000`, sink: `${far2}:7001` },
  };
}

/** Measures the three paths; see the top of the file. */
export async function benchNetwork(opts: { bytes?: number; pings?: number; rounds?: number; progress?: (step: string) => void } = {}): Promise<Row[]> {
  const progress = opts.progress ?? (() => undefined);
  const bytes = opts.bytes ?? 2 ** 30;
  const pings = opts.pings ?? 10_000;
  const rounds = opts.rounds ?? 3;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`benchNetwork: rounds must be a positive integer, got ${rounds}`);
  if (!Number.isInteger(bytes) || bytes < 1) throw new Error(`benchNetwork: bytes must be a positive integer, got ${bytes}`);
  if (!Number.isInteger(pings) || pings < 1) throw new Error(`benchNetwork: pings must be a positive integer, got ${pings}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kip-bench-net-'));
  const cluster = new LocalCluster({ dataDir, port: 0 });
  let reference: { echo: number; sink: number; stop(): Promise<void> } | undefined;
  try {
    await cluster.startControlPlane();
    cluster.startAgent('node-1');
    cluster.startAgent('node-2');
    await cluster.waitReady(2, 60_000);
    progress('cluster up; starting the tcp-echo pods and the service');
    const t = await setUp(cluster);
    progress('starting the reference: a plain Node socket pipe in front of the same pod');
    reference = await startPlainPipe(t.direct.echo, t.direct.sink);
    const paths: { path: string; hops: number; echo: Dial; sink: Dial }[] = [
      { path: '(a) direct loopback to the pod', hops: 0, echo: direct(t.direct.echo), sink: direct(t.direct.sink) },
      { path: '(b) same-node service listener', hops: 1, echo: direct(t.listener.echo), sink: direct(t.listener.sink) },
      {
        path: '(c) pod to pod across two agents',
        hops: 2,
        echo: viaProxy(t.remote.proxyPort, t.remote.echo),
        sink: viaProxy(t.remote.proxyPort, t.remote.sink),
      },
      { path: 'reference: plain Node pipe, 1 hop', hops: 1, echo: direct(reference.echo), sink: direct(reference.sink) },
    ];
    // The paths take turns, round after round, so that whatever else the machine is doing weighs on
    // all three alike; each path's figure is its median stream and its pooled round trips.
    const streams = paths.map(() => [] as number[]);
    const rtts = paths.map(() => [] as number[]);
    for (const p of paths) {
      progress(`${p.path}: warming up`);
      await throughput(p.sink, Math.min(bytes, 64 * 2 ** 20));
      await pingPong(p.echo, 100);
    }
    for (let r = 1; r <= rounds; r++) {
      for (const [i, p] of paths.entries()) {
        progress(`round ${r}/${rounds}, ${p.path}`);
        streams[i]!.push(await throughput(p.sink, bytes));
        rtts[i]!.push(...(await pingPong(p.echo, Math.ceil(pings / rounds))));
      }
    }
    const measured = paths.map((p, i) => {
      const mb = streams[i]!.sort((x, y) => x - y);
      const rtt = rtts[i]!.sort((x, y) => x - y);
      return { ...p, mbPerSecond: percentile(mb, 50) ?? NaN, p50Us: percentile(rtt, 50) ?? NaN, p99Us: percentile(rtt, 99) ?? NaN };
    });
    const a = measured[0]!;
    return measured.map((m) => ({
      path: m.path,
      hops: m.hops,
      mbPerSecond: Math.round(m.mbPerSecond),
      p50Us: Math.round(m.p50Us),
      p99Us: Math.round(m.p99Us),
      throughputRatio: Math.round((m.mbPerSecond / a.mbPerSecond) * 100) / 100,
      addedUsPerHop: m.hops === 0 ? 0 : Math.round((m.p50Us - a.p50Us) / m.hops),
    }));
  } finally {
    await reference?.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The process the "plain Node socket pipe" anchor describes: socket.pipe() both ways. */
const PLAIN_PIPE = `
const net = require('net');
const listen = (target) => new Promise((resolve) => {
  const srv = net.createServer({ allowHalfOpen: true }, (c) => {
    const u = net.connect({ port: target, host: '127.0.0.1', allowHalfOpen: true });
    c.setNoDelay(true); u.setNoDelay(true);
    c.pipe(u); u.pipe(c);
    c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
  });
  srv.listen(0, '127.0.0.1', () => resolve(srv.address().port));
});
Promise.all(process.argv.slice(1).map((p) => listen(Number(p)))).then((ports) => process.stdout.write(ports.join(' ') + '\\n'));
`;

async function startPlainPipe(echo: number, sink: number): Promise<{ echo: number; sink: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', PLAIN_PIPE, String(echo), String(sink)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('error', reject);
    void exited.then(() => reject(new Error('benchNetwork: the plain-pipe reference process exited before it listened')));
  });
  const [e, k] = line.split(' ').map(Number);
  return {
    echo: e!,
    sink: k!,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The rows as a table, with the anchors under them. */
export function printNetworkRows(rows: Row[], bytes: number, rounds = 3, out: (s: string) => void = (s) => process.stdout.write(s)): void {
  printTable(
    ['path', `MB/s (1 stream of ${Math.round(bytes / 2 ** 20)} MiB, median of ${rounds})`, 'vs (a)', 'rtt p50 us', 'rtt p99 us', 'added p50 us/hop'],
    rows.map((r) => [r.path, r.mbPerSecond, r.hops === 0 ? '1.00' : r.throughputRatio.toFixed(2), r.p50Us, r.p99Us, r.hops === 0 ? '' : r.addedUsPerHop]),
    out,
  );
  for (const a of NETWORK_ANCHORS) out(`anchor: ${a}\n`);
}

async function main(): Promise<void> {
  const { values } = readCommandLine(process.argv.slice(2), { bytes: { type: 'string' }, pings: { type: 'string' }, rounds: { type: 'string' } });
  const bytes = values.bytes ? Number(values.bytes) : 2 ** 30;
  const pings = values.pings ? Number(values.pings) : 10_000;
  const rounds = values.rounds ? Number(values.rounds) : 3;
  process.stdout.write(`kip pod network: ${os.cpus().length} cpus, Node ${process.version}; real control plane and 2 agent processes, tcp-echo pods\n`);
  printNetworkRows(await benchNetwork({ bytes, pings, rounds, progress: (step) => process.stderr.write(`  ${step}\n`) }), bytes, rounds);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
