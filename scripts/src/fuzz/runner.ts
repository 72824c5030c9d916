// One fuzz run: a private cluster, a witness pod on each node, the fuzzers of the chosen targets
// sending generated cases for the duration, and a watchdog that checks every second that no kip
// process died or stopped answering. Then the end checks (real nodes Ready, witness pods and Node
// objects untouched), the cluster is stopped, and anything of it still running is killed by pid.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ApiClient, dialTunnel, isNodeReady, readKubeconfig, rssBytes, TunnelError, type Node, type Pod } from '@kip/shared';
import { LocalCluster, isRunning, type Member } from '../cluster/local-cluster.js';
import { listProcesses, processesUnder } from '../soak/processes.js';
import { FUZZ_MARKER, agentCase } from './agent.js';
import { Gen } from './gen.js';
import { httpCase } from './http.js';
import type { CaseResult, FuzzCase, FuzzEnv, TargetName } from './target.js';
import { tunnelCase } from './tunnel.js';

export interface FuzzOptions {
  durationMs: number;
  seed: number;
  nodes: number;
  targets: TargetName[];
  /** cases in flight at once per target, not counting stalled senders */
  concurrency: number;
  /** stop each target after its cases numbered 0 to maxCases - 1, if the duration has not ended it first */
  maxCases?: number;
  /** replay only these cases of the seed, one at a time, instead of fuzzing for the duration */
  cases?: { target: TargetName; index: number }[];
  log: (line: string) => void;
  signal?: AbortSignal;
  onCluster?: (c: LocalCluster) => void;
}

export type FailureType = 'crash' | 'hang' | 'violation';

export interface Failure {
  type: FailureType;
  what: string;
  /** the case that caused it, when one did (or the cases in flight when a process died) */
  cases?: { target: TargetName; index: number; kind: string; input: unknown }[];
  /** the last lines of a process that died */
  output?: string[];
}

export interface TargetStats {
  tried: number;
  /** the case that took longest to be answered, of those that do not go silent on purpose */
  slowest?: { index: number; kind: string; ms: number };
  kinds: Record<string, number>;
  answers: Record<string, number>;
}

export interface FuzzReport {
  seed: number;
  durationMs: number;
  nodes: number;
  targets: Partial<Record<TargetName, TargetStats>>;
  failures: Failure[];
  /** answers of 500 and up: no crash, but a handler threw; the first few, with their inputs */
  serverErrors: { count: number; examples: { index: number; kind: string; answer: string; input: unknown }[] };
  maxRss: { controlPlane: number; agent: number };
  /** the longest the control plane took to answer the watchdog's /healthz, and an agent its tunnel probe */
  slowestHealthzMs: number;
  slowestTunnelProbeMs: number;
  leftovers: number;
}

export const makeCase: Record<TargetName, (gen: Gen, env: FuzzEnv, index: number) => FuzzCase> = {
  http: httpCase,
  agent: agentCase,
  tunnel: tunnelCase,
};

/** The same case every time for a seed, target and index. */
export function caseFor(seed: number, target: TargetName, index: number, env: FuzzEnv): FuzzCase {
  return makeCase[target](Gen.forCase(seed, target, index), env, index);
}

/** Silent cases (stalled senders) run beside the workers, this many at a time per target. */
const MAX_WAITING = 8;
/** Silent cases may end this long after the run's duration; longer ones are skipped near the end. */
const END_GRACE_MS = 5000;
const WATCH_EVERY_MS = 1000;
const PROBE_TIMEOUT_MS = 10_000;
/** Probes that must fail in a row before a process counts as hung: one slow answer on a loaded machine is not one. */
const PROBE_FAILURES = 2;
const JANITOR_EVERY_MS = 5000;

/** The admin token the control plane requires, if it wrote one (a kubeconfig in its data dir). */
/** The watchdog's and setup's requests, through the cluster's API client with a deadline each. */
class Api {
  constructor(private readonly client: ApiClient) {}

  async call<T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await this.client.raw(method, p, { ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    let parsed: unknown = res.body;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      // not JSON (healthz)
    }
    return { status: res.status, body: parsed as T };
  }
}

function witnessPod(node: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `witness-${node}`, namespace: 'default', labels: { app: 'fuzz-witness' } },
    spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: 'pause', image: 'pause' }] },
  } as Pod;
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The answer's first words, to count answers by kind. */
function answerKey(r: CaseResult): string {
  const a = r.answer ?? '(none)';
  const http = /^HTTP\/1\.[01] (\d{3})/.exec(a);
  if (http) return `HTTP ${http[1]}`;
  return a
    .replace(/[^\x20-\x7e]/g, '?')
    .split(':')[0]!
    .slice(0, 40);
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const { log } = o;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kip-fuzz-'));
  const cluster = new LocalCluster({ dataDir, port: 0 });
  o.onCluster?.(cluster);
  const report: FuzzReport = {
    seed: o.seed,
    durationMs: 0,
    nodes: o.nodes,
    targets: Object.fromEntries(o.targets.map((t) => [t, { tried: 0, kinds: {}, answers: {} }])),
    failures: [],
    serverErrors: { count: 0, examples: [] },
    maxRss: { controlPlane: 0, agent: 0 },
    slowestHealthzMs: 0,
    slowestTunnelProbeMs: 0,
    leftovers: 0,
  };
  const inFlight = new Set<FuzzCase>();
  const recent: FuzzCase[] = [];
  let stop = false;
  const fail = (f: Failure) => {
    report.failures.push(f);
    log(`FAIL ${f.type}: ${f.what}`);
    for (const c of f.cases ?? []) log(`  ${c.target} case ${c.index} (${c.kind}): ${JSON.stringify(c.input).slice(0, 2000)}`);
    for (const l of f.output ?? []) log(`  | ${l}`);
    if (f.type === 'crash') stop = true;
  };
  const shown = (c: FuzzCase) => ({ target: c.target, index: c.index, kind: c.kind, input: c.input });
  let watching = true;
  let watchdog: Promise<void> | undefined;
  try {
    log(`[setup] starting a private cluster of ${o.nodes} node(s) in ${dataDir}`);
    await cluster.startControlPlane();
    const names = Array.from({ length: o.nodes }, (_, i) => `node-${i + 1}`);
    await cluster.startAgents(names);
    await cluster.waitReady(o.nodes, 60_000 + o.nodes * 5000);
    const api = new Api(cluster.client('kip-fuzz'));
    const nodes = (await api.call<{ items: Node[] }>('GET', '/api/v1/nodes')).body.items.filter((n) => names.includes(n.metadata.name));
    const port = Number(new URL(cluster.url).port);
    const env: FuzzEnv = {
      host: '127.0.0.1',
      port,
      joinToken: readFileSync(cluster.tokenFile, 'utf8').trim(),
      apiToken: readKubeconfig(cluster.kubeconfigFile).token,
      nodes: nodes.map((n) => ({ name: n.metadata.name, tunnel: n.status?.nodeInfo?.tunnelEndpoint ?? '', pid: n.status?.nodeInfo?.agentPid ?? 0 })),
      witnesses: [],
    };
    for (const n of env.nodes) if (!n.tunnel) throw new Error(`node ${n.name} reports no tunnel endpoint`);
    for (const n of env.nodes) {
      const created = await api.call<Pod>('POST', '/api/v1/namespaces/default/pods', witnessPod(n.name));
      if (created.status !== 201) throw new Error(`could not create the witness pod of ${n.name}: ${JSON.stringify(created.body)}`);
    }
    const witnesses = await waitFor('the witness pods were not Running', 60_000, async () => {
      const pods = await Promise.all(env.nodes.map((n) => api.call<Pod>('GET', `/api/v1/namespaces/default/pods/witness-${n.name}`)));
      return pods.every((p) => p.body.status?.phase === 'Running') ? pods.map((p) => p.body) : undefined;
    });
    env.witnesses = witnesses.map((p) => ({ namespace: 'default', name: p.metadata.name, uid: p.metadata.uid!, node: p.spec.nodeName! }));
    const members: Member[] = [cluster.controlPlane!, ...cluster.agents.values()];
    const pids = new Map(members.map((m) => [m, m.child.pid]));
    log(
      `[setup] ${o.nodes} node(s) Ready at ${cluster.url}, witness pods Running; fuzzing ${o.targets.join(', ')} for ${o.durationMs / 1000}s, seed ${o.seed}`,
    );

    // --- the watchdog: processes alive, answering; memory ---------------------------------
    const probeFailures = new Map<string, number>();
    const probe = async (who: string, check: () => Promise<void>) => {
      try {
        await check();
        probeFailures.set(who, 0);
      } catch (err) {
        const n = (probeFailures.get(who) ?? 0) + 1;
        probeFailures.set(who, n);
        if (n === PROBE_FAILURES)
          fail({
            type: 'hang',
            what: `${who} did not answer ${n} probes in a row: ${(err as Error).message}`,
            cases: [...inFlight, ...recent.slice(-5)].map(shown),
          });
      }
    };
    watchdog = (async () => {
      while (watching) {
        for (const m of members) {
          if (!isRunning(m) || m.child.pid !== pids.get(m)) {
            if (!report.failures.some((f) => f.type === 'crash' && f.what.startsWith(m.name)))
              fail({
                type: 'crash',
                what: `${m.name} (pid ${pids.get(m)}) ${m.child.signalCode ? `was killed by ${m.child.signalCode}` : `exited with code ${m.child.exitCode}`}`,
                cases: [...inFlight, ...recent.slice(-10)].map(shown),
                output: m.output.slice(-30),
              });
            continue;
          }
          const rss = rssBytes(m.child.pid!) ?? 0;
          if (m === cluster.controlPlane) report.maxRss.controlPlane = Math.max(report.maxRss.controlPlane, rss);
          else report.maxRss.agent = Math.max(report.maxRss.agent, rss);
        }
        await Promise.all([
          probe('the control plane', async () => {
            const asked = Date.now();
            const r = await api.call('GET', '/healthz');
            report.slowestHealthzMs = Math.max(report.slowestHealthzMs, Date.now() - asked);
            if (r.status !== 200) throw new Error(`/healthz answered ${r.status}`);
          }),
          ...env.nodes.map((n) =>
            probe(`the agent of ${n.name}`, async () => {
              // A good proof for a pod that is not there: a live agent answers Refused at once.
              const asked = Date.now();
              const s = await dialTunnel(
                n.tunnel,
                env.joinToken,
                { podIP: '10.244.255.254', port: 1 },
                { timeoutMs: PROBE_TIMEOUT_MS, from: 'fuzz-watchdog' },
              ).catch((err: unknown) => err);
              report.slowestTunnelProbeMs = Math.max(report.slowestTunnelProbeMs, Date.now() - asked);
              if (s instanceof TunnelError && s.code === 'Refused') return;
              if (s instanceof TunnelError) throw s;
              (s as { destroy(): void }).destroy();
            }),
          ),
        ]);
        await new Promise((r) => setTimeout(r, WATCH_EVERY_MS));
      }
    })();

    // --- the janitor: pods that fuzzed bodies got running, and what makes more of them -----
    const witnessNames = new Set(env.witnesses.map((w) => w.name));
    const janitor = setInterval(() => {
      void (async () => {
        const pods = (await api.call<{ items: Pod[] }>('GET', '/api/v1/pods')).body.items ?? [];
        for (const p of pods)
          if (p.spec?.nodeName && !witnessNames.has(p.metadata.name) && !p.metadata.deletionTimestamp)
            await api.call('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${encodeURIComponent(p.metadata.name)}?gracePeriodSeconds=0`);
        const deployments = (await api.call<{ items: Pod[] }>('GET', '/apis/apps/v1/deployments')).body.items ?? [];
        for (const d of deployments)
          await api.call('DELETE', `/apis/apps/v1/namespaces/${d.metadata.namespace}/deployments/${encodeURIComponent(d.metadata.name)}`);
      })().catch(() => undefined);
    }, JANITOR_EVERY_MS);

    // --- the fuzzers ----------------------------------------------------------------------
    const started = Date.now();
    const endAt = started + o.durationMs;
    const waiting = new Map<TargetName, number>();
    const detached: Promise<void>[] = [];
    const runCase = async (c: FuzzCase) => {
      inFlight.add(c);
      let r: CaseResult;
      try {
        r = await c.run(env);
      } catch (err) {
        r = { ok: false, why: `the fuzzer itself failed: ${(err as Error).stack}`, ms: 0 };
      }
      inFlight.delete(c);
      recent.push(c);
      if (recent.length > 50) recent.shift();
      const stats = report.targets[c.target]!;
      stats.answers[answerKey(r)] = (stats.answers[answerKey(r)] ?? 0) + 1;
      if (!c.waits && r.ms > (stats.slowest?.ms ?? -1)) stats.slowest = { index: c.index, kind: c.kind, ms: r.ms };
      if (/^HTTP\/1\.1 5\d\d/.test(r.answer ?? '')) {
        report.serverErrors.count++;
        if (report.serverErrors.examples.length < 5) report.serverErrors.examples.push({ index: c.index, kind: c.kind, answer: r.answer!, input: c.input });
      }
      // A case that failed because a process died is reported with the crash, by the watchdog.
      if (!r.ok && !stop && !r.why?.includes('ECONNREFUSED'))
        fail({ type: r.violation ? 'violation' : 'hang', what: `${c.target} case ${c.index} (${c.kind}): ${r.why}`, cases: [shown(c)] });
    };
    const worker = async (target: TargetName, next: () => number) => {
      while (!stop && !o.signal?.aborted && Date.now() < endAt) {
        const index = next();
        if (o.maxCases !== undefined && index >= o.maxCases) break;
        let c: FuzzCase;
        try {
          c = caseFor(o.seed, target, index, env);
        } catch (err) {
          // A bug of the generator, not of kip: said, and the next case goes on.
          log(`fuzzer: could not make ${target} case ${index}: ${(err as Error).stack}`);
          continue;
        }
        const stats = report.targets[target]!;
        // A silent case outlasting the run by more than the grace would hold its end back.
        if (c.waits && Date.now() + c.deadlineMs > endAt + END_GRACE_MS) continue;
        stats.tried++;
        stats.kinds[c.kind] = (stats.kinds[c.kind] ?? 0) + 1;
        if (c.waits && (waiting.get(target) ?? 0) < MAX_WAITING) {
          waiting.set(target, (waiting.get(target) ?? 0) + 1);
          detached.push(runCase(c).finally(() => waiting.set(target, waiting.get(target)! - 1)));
          await new Promise((r) => setTimeout(r, 20));
        } else await runCase(c);
      }
    };
    let lastLine = started;
    const progress = setInterval(() => {
      if (Date.now() - lastLine < 10_000) return;
      lastLine = Date.now();
      const counts = o.targets.map((t) => `${t} ${report.targets[t]!.tried}`).join(', ');
      log(
        `[+${Math.round((Date.now() - started) / 1000)}s] ${counts}; control plane RSS ${mib(report.maxRss.controlPlane)}, agent ${mib(report.maxRss.agent)} (max)`,
      );
    }, 1000);
    if (o.cases?.length) {
      // A replay: only the cases asked for, one after the other, each given its own deadline.
      for (const { target, index } of o.cases) {
        if (stop) break;
        const c = caseFor(o.seed, target, index, env);
        report.targets[target] ??= { tried: 0, kinds: {}, answers: {} };
        report.targets[target]!.tried++;
        report.targets[target]!.kinds[c.kind] = (report.targets[target]!.kinds[c.kind] ?? 0) + 1;
        log(`[replay] ${target} case ${index} (${c.kind}): ${JSON.stringify(c.input).slice(0, 300)}`);
        await runCase(c);
        await new Promise((r) => setTimeout(r, 1500));
      }
    } else
      await Promise.all(
        o.targets.flatMap((t) => {
          let i = 0;
          return Array.from({ length: o.concurrency }, () => worker(t, () => i++));
        }),
      );
    await Promise.all(detached);
    clearInterval(progress);
    clearInterval(janitor);
    report.durationMs = Date.now() - started;

    // --- the end checks -------------------------------------------------------------------
    if (!report.failures.some((f) => f.type === 'crash')) {
      const ready = await waitFor('', 20_000, async () => {
        const list = (await api.call<{ items: Node[] }>('GET', '/api/v1/nodes')).body.items;
        const byName = new Map(list.map((n) => [n.metadata.name, n]));
        return env.nodes.every((n) => byName.get(n.name) && isNodeReady(byName.get(n.name)!)) ? byName : undefined;
      }).catch(() => undefined);
      const list = ready ?? new Map((await api.call<{ items: Node[] }>('GET', '/api/v1/nodes')).body.items.map((n) => [n.metadata.name, n]));
      for (const n of env.nodes) {
        const node = list.get(n.name);
        if (!node || !isNodeReady(node)) fail({ type: 'violation', what: `node ${n.name} is not Ready after the run`, cases: recent.slice(-5).map(shown) });
        else if (node.status?.nodeInfo?.agentPid !== n.pid)
          fail({
            type: 'violation',
            what: `node ${n.name}'s agent pid is ${node.status?.nodeInfo?.agentPid}, not its agent's ${n.pid}: another connection took the node over`,
          });
      }
      for (const w of env.witnesses) {
        const r = await api.call<Pod>('GET', `/api/v1/namespaces/${w.namespace}/pods/${w.name}`);
        const p = r.body;
        if (r.status !== 200 || p.metadata.uid !== w.uid)
          fail({ type: 'violation', what: `witness pod ${w.name} of ${w.node} is gone or replaced (${r.status})` });
        else if (JSON.stringify(p.status ?? {}).includes(FUZZ_MARKER) || p.status?.phase !== 'Running')
          fail({
            type: 'violation',
            what: `witness pod ${w.name} of ${w.node} was changed: phase ${p.status?.phase}, status ${JSON.stringify(p.status).slice(0, 300)}`,
          });
      }
    }
  } finally {
    // Workers still running when something failed stop here, before the cluster does.
    stop = true;
    watching = false;
    await watchdog;
    await cluster.stop(10_000).catch(() => cluster.killAll());
    // Whatever of the cluster outlived it (a pod's process, a watcher) is killed by pid.
    const left = processesUnder(listProcesses(), dataDir);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    report.leftovers = left.length;
    rmSync(dataDir, { recursive: true, force: true });
  }
  return report;
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
