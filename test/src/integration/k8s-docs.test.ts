// The Kubernetes documentation's examples, applied unchanged with the real kubectl to a real kip
// cluster, each checked for what the docs tell a user they will see (examples.ts lists them).
// Everything is applied first and then observed: the examples progress side by side, so the slow
// ones (a liveness probe that fails after 35 s, a CronJob's first minute) overlap.

import assert from 'node:assert/strict';
import path from 'node:path';
import type { KObject, Pod } from '@kip/shared';
import { ROOT, TestCluster } from '../helpers/cluster.js';
import { requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';
import { DOCS_EXAMPLES, type DocsExample, type Expectation } from './k8s-docs/examples.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/k8s-docs');
const NODES = 3;

/** The namespace an example runs in: the one its manifest names, else one of its own. */
export function namespaceOf(ex: DocsExample): string {
  if (ex.namespace) return ex.namespace;
  return `docs-${ex.file
    .replace(/\.yaml$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')}`
    .slice(0, 63)
    .replace(/-+$/, '');
}

function dig(obj: unknown, dotted: string): unknown {
  let v: unknown = obj;
  for (const k of dotted.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

describe('the Kubernetes docs examples, as written', function () {
  this.timeout(600_000);
  let cluster: TestCluster;
  const applyErrors = new Map<string, string>();

  const kubectl = (args: string[], timeoutMs = 60_000) => runKubectl(args, { kubeconfig: cluster.kubeconfig, timeoutMs });

  before(async function () {
    requireKubectl();
    cluster = await TestCluster.start({ nodes: NODES, nodeMemory: '4Gi', nodeCpu: '4', controlPlaneArgs: ['--tls'] });
    for (const ex of DOCS_EXAMPLES) {
      const ns = namespaceOf(ex);
      const steps: string[][] = [];
      if (ns !== 'default') steps.push(['create', 'namespace', ns]);
      for (const b of ex.before ?? []) steps.push(b);
      for (const f of [...(ex.needs ?? []), ex.file]) steps.push(['apply', '-n', ns, '-f', path.join(FIXTURES, f)]);
      for (const a of ex.after ?? []) steps.push([...a, '-n', ns]);
      for (const args of steps) {
        const r = await kubectl(args);
        // A namespace two examples share is created once; the second create says AlreadyExists.
        if (r.code !== 0 && !/AlreadyExists/.test(r.err)) applyErrors.set(ex.file, `kubectl ${args.join(' ')}: ${r.err || r.out}`);
      }
    }
  });

  after(async () => {
    await cluster?.stop();
  });

  async function pod(ns: string, name: string): Promise<Pod | undefined> {
    return cluster.api.get<Pod>('pods', name, ns);
  }

  async function log(ns: string, name: string, container?: string): Promise<string | undefined> {
    const q = container ? `?container=${encodeURIComponent(container)}` : '';
    // As text: a log that happens to be JSON (pi's digits are a number) must stay what it printed.
    const res = await cluster.api.client.raw('GET', `/api/v1/namespaces/${ns}/pods/${name}/log${q}`, {});
    return res.status === 200 ? res.body : undefined;
  }

  let probes = 0;
  /** GETs a URL from inside the cluster, as the docs do with a busybox or curl pod; returns what it printed. */
  async function fetchInCluster(ns: string, url: string): Promise<string | undefined> {
    const resolved = await resolveUrl(ns, url);
    if (!resolved) return undefined;
    const name = `wget-${++probes}`;
    await cluster.api.create(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { restartPolicy: 'Never', containers: [{ name: 'wget', image: 'busybox', command: ['wget', '-qO-', '-T', '5', resolved] }] },
      } as KObject,
      ns,
    );
    const done = await eventually(
      `${name} to finish`,
      async () => {
        const p = await pod(ns, name);
        return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 30_000 },
    ).catch(() => undefined);
    const out = done?.status?.phase === 'Succeeded' ? await log(ns, name) : undefined;
    await cluster.api.delete('pods', name, ns, 0);
    return out;
  }

  async function resolveUrl(ns: string, url: string): Promise<string | undefined> {
    let out = url;
    for (const m of url.matchAll(/\{podIP:([^}]+)\}/g)) {
      const ip = (await pod(ns, m[1]!))?.status?.podIP;
      if (!ip) return undefined;
      out = out.replace(m[0], ip);
    }
    return out;
  }

  /** Resolves when the expectation holds, with what was seen; the caller's deadline bounds it. */
  async function check(ns: string, e: Expectation): Promise<string | undefined> {
    if ('top' in e) {
      const r = await kubectl(['top', 'pod', '-n', ns, e.top, '--no-headers'], 30_000);
      const cpu = Number(/^\S+\s+(\d+)m\s/.exec(r.out)?.[1] ?? Number.NaN);
      return r.code === 0 && cpu > 0 && cpu <= e.cpuAtMost ? r.out : undefined;
    }
    if ('exec' in e) {
      const r = await kubectl(['exec', '-n', ns, e.exec, '--', ...e.command], 30_000);
      return r.code === 0 && e.output.test(r.out) ? r.out : undefined;
    }
    if ('http' in e) {
      const body = await fetchInCluster(ns, e.http);
      return body !== undefined && e.body.test(body) ? body : undefined;
    }
    if ('loadBalancer' in e) {
      const svc = await cluster.api.get<KObject & { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>('services', e.loadBalancer, ns);
      const ip = svc?.status?.loadBalancer?.ingress?.[0]?.ip;
      if (!ip) return undefined;
      const res = await fetch(`http://${ip}:${e.port}/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      const body = res?.ok ? await res.text() : undefined;
      return body !== undefined && e.body.test(body) ? body : undefined;
    }
    if ('workload' in e) {
      const [kind, name] = e.workload.split('/') as [string, string];
      const w = await cluster.api.get<KObject & { status?: Record<string, number> }>(kind, name, ns);
      const ready = kind === 'daemonset' ? w?.status?.numberReady : w?.status?.readyReplicas;
      return ready === e.ready ? `${ready} ready` : undefined;
    }
    if ('selector' in e) {
      const pods = await cluster.api.list<Pod>('pods', { namespace: ns, labelSelector: e.selector });
      const nodes = new Set(pods.map((p) => p.spec.nodeName).filter(Boolean));
      return pods.length === e.pods && nodes.size >= (e.nodes ?? 0) ? `${pods.length} pods on ${nodes.size} nodes` : undefined;
    }
    if ('job' in e) {
      const job = await cluster.api.get<KObject & { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }>(
        'jobs',
        e.job,
        ns,
      );
      const c = job?.status?.conditions?.find((x) => x.type === e.condition && x.status === 'True');
      if (!job || !c) return undefined;
      if (e.reason && !e.reason.test(`${c.reason}: ${c.message}`)) return undefined;
      for (const [path, want] of Object.entries(e.fields ?? {})) if (String(dig(job, path)) !== want) return undefined;
      if (!e.log) return `${e.condition} (${c.reason})`;
      return jobLogMatches(ns, job, e.log);
    }
    if ('cronjob' in e) {
      const jobs = await cluster.api.list<KObject & { status?: { conditions?: { type: string; status: string }[] } }>('jobs', { namespace: ns });
      for (const job of jobs.filter((j) => j.metadata.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name === e.cronjob))) {
        if (!job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) continue;
        const seen = await jobLogMatches(ns, job, e.log);
        if (seen) return seen;
      }
      return undefined;
    }
    if ('claim' in e) {
      const c = await cluster.api.get<KObject & { status?: { phase?: string } }>('persistentvolumeclaims', e.claim, ns);
      return c?.status?.phase === 'Bound' ? 'Bound' : undefined;
    }
    if ('pdb' in e) {
      const p = await cluster.api.get<KObject & { status?: { disruptionsAllowed?: number; observedGeneration?: number } }>('poddisruptionbudgets', e.pdb, ns);
      return p?.status?.observedGeneration !== undefined && p.status.disruptionsAllowed === e.disruptionsAllowed ? 'observed' : undefined;
    }
    // The rest look at one pod.
    const p = await pod(ns, e.pod);
    if (!p) return undefined;
    const statuses = p.status?.containerStatuses ?? [];
    if ('phase' in e) {
      if (p.status?.phase !== e.phase) return undefined;
      if (e.ready && !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return undefined;
      return e.phase;
    }
    if ('log' in e) {
      const text = await log(ns, e.pod, e.container);
      return text !== undefined && e.log.test(text) ? text : undefined;
    }
    if ('restartsAtLeast' in e) return statuses.some((s) => (s.restartCount ?? 0) >= e.restartsAtLeast) ? 'restarted' : undefined;
    if ('lastTerminated' in e) {
      const reasons = statuses.flatMap((s) => [s.lastState?.terminated?.reason, s.state?.terminated?.reason]);
      return reasons.includes(e.lastTerminated) ? e.lastTerminated : undefined;
    }
    if ('waiting' in e) return statuses.some((s) => e.waiting.test(s.state?.waiting?.reason ?? '')) ? 'waiting' : undefined;
    if ('unschedulable' in e) {
      const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' && c.reason === 'Unschedulable' && e.unschedulable.test(c.message ?? '') ? c.message : undefined;
    }
    if ('field' in e) return String(dig(p, e.field)) === e.equals ? e.equals : undefined;
    return undefined;
  }

  async function jobLogMatches(ns: string, job: KObject, re: RegExp): Promise<string | undefined> {
    const pods = await cluster.api.list<Pod>('pods', { namespace: ns, labelSelector: `job-name=${job.metadata.name}` });
    for (const p of pods) {
      const text = await log(ns, p.metadata.name);
      if (text !== undefined && re.test(text)) return text;
    }
    return undefined;
  }

  /** What a failing example looked like, for the assertion message. */
  async function describe(ns: string): Promise<string> {
    const r = await kubectl(['get', 'all,events', '-n', ns, '-o', 'wide'], 30_000);
    return `${r.out}${r.err}`;
  }

  for (const ex of DOCS_EXAMPLES) {
    it(`${ex.file}: ${ex.docs}`, async () => {
      const ns = namespaceOf(ex);
      assert.equal(applyErrors.get(ex.file), undefined, `kubectl apply of ${ex.file} failed`);
      for (const e of ex.expect) {
        const seen = await eventually(`${ex.file}: ${JSON.stringify(e, (_k, v) => (v instanceof RegExp ? String(v) : v))}`, () => check(ns, e), {
          timeoutMs: 'cronjob' in e ? 150_000 : 120_000,
          intervalMs: 1000,
        }).catch(async (err: Error) => {
          throw new Error(`${err.message}\n${await describe(ns)}`);
        });
        assert.ok(seen !== undefined);
      }
    });
  }
});
