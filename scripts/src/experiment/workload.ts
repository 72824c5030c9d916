// The workload under test: manifests from the experiment file (inline, or files beside it),
// applied as `kip apply` applies them, waited on until they serve (Deployments available,
// Services with an endpoint for every ready pod they select), and removed afterwards — but only
// what this run created: an object that was there before is left as it was found, updated.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  fromLabelSelector,
  fromLabels,
  isPodReady,
  parseManifests,
  resourceByKind,
  selectorToString,
  ApiStatusError,
  ClientError,
  type Deployment,
  type Endpoints,
  type KObject,
  type Pod,
  type ReplicaSet,
  type Service,
  type ApiClient,
} from '@kip/shared';
import { planApply, withLastApplied } from '../kip/apply-merge.js';
import { CliError } from '../kip/errors.js';
import { prepareManifest, type ManifestObject } from '../kip/manifests.js';
import { FieldChecker } from './field-checker.js';
import { ExperimentSpecError, type ExperimentSpec } from './spec.js';
import { sleep } from './sleep.js';

/** Kinds a workload may not hold: nodes are the cluster itself, and faults belong in the timeline. */
const NOT_WORKLOAD = new Set(['Node', 'Event', 'Endpoints', 'NodeChaos', 'NetworkChaos', 'ControlPlaneChaos']);

/** Reads every manifest the experiment names, checked as `kip apply` checks them. */
export async function loadWorkload(spec: ExperimentSpec, baseDir: string, source: string): Promise<ManifestObject[]> {
  const out: ManifestObject[] = [];
  const c = new FieldChecker();
  for (const item of spec.workload) {
    let docs: ReturnType<typeof parseManifests>;
    try {
      if (item.kind === 'file') {
        const file = path.resolve(baseDir, item.path);
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch {
          c.add(item.field, `Invalid value: "${item.path}": no such file (looked for ${file})`);
          continue;
        }
        docs = parseManifests(text, item.path);
      } else {
        docs = [{ source: `${source} ${item.field}`, object: item.object }];
      }
    } catch (err) {
      c.add(item.field, (err as Error).message);
      continue;
    }
    for (const doc of docs) {
      const own = (doc.object.metadata as { namespace?: unknown } | undefined)?.namespace;
      if (typeof own === 'string' && own !== spec.namespace) {
        c.add(
          item.field,
          `${doc.source}: metadata.namespace: Invalid value: "${own}": the experiment runs in namespace "${spec.namespace}"; set namespace: ${own} at the top of the experiment file, or drop it here`,
        );
        continue;
      }
      if (NOT_WORKLOAD.has(String(doc.object.kind))) {
        c.add(
          item.field,
          `${doc.source}: kind: Invalid value: "${String(doc.object.kind)}": not a workload kind${String(doc.object.kind).endsWith('Chaos') ? '; faults go in the timeline' : ''}`,
        );
        continue;
      }
      try {
        out.push(prepareManifest(doc, { namespace: spec.namespace, namespaceGiven: false, validate: true }));
      } catch (err) {
        if (!(err instanceof ClientError)) throw err;
        c.add(item.field, err.message);
      }
    }
  }
  if (c.problems.length > 0) throw new ExperimentSpecError(source, c.problems);
  return out;
}

/** Why a Deployment is not serving yet, in `kubectl rollout status` terms; undefined once it is. */
export function deploymentProgress(d: Deployment): string | undefined {
  const want = d.spec.replicas ?? 1;
  const st = d.status ?? {};
  if (d.metadata.generation !== undefined && (st.observedGeneration ?? 0) < d.metadata.generation)
    return 'waiting for the deployment spec update to be observed';
  if ((st.updatedReplicas ?? 0) < want) return `${st.updatedReplicas ?? 0} of ${want} updated replicas`;
  if ((st.replicas ?? 0) > (st.updatedReplicas ?? 0)) return `${(st.replicas ?? 0) - (st.updatedReplicas ?? 0)} old replicas pending termination`;
  if ((st.availableReplicas ?? 0) < want) return `${st.availableReplicas ?? 0} of ${want} updated replicas available`;
  return undefined;
}

/** Why a Service has no endpoint for each of its ready pods yet; undefined once it does. */
export function serviceProgress(endpoints: Endpoints | undefined, readyPods: number): string | undefined {
  const addresses = (endpoints?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  if (addresses === 0) return 'no ready endpoints';
  if (addresses < readyPods) return `${addresses} of ${readyPods} ready pods in its endpoints`;
  return undefined;
}

export class Workload {
  /** what this run created, to delete at the end; objects that existed already are left */
  readonly created: ManifestObject[] = [];

  constructor(
    private readonly api: ApiClient,
    readonly objects: readonly ManifestObject[],
    private readonly log: (line: string) => void,
  ) {}

  async apply(): Promise<void> {
    for (const m of this.objects) {
      const { resource: r, namespace } = m;
      const name = m.object.metadata.name;
      const what = `${r.plural}/${name}`;
      let live: KObject | undefined;
      try {
        live = await this.api.get(r, namespace, name);
      } catch (err) {
        if (!(err instanceof ApiStatusError && err.isNotFound)) throw err;
      }
      try {
        if (!live) {
          await this.api.create(r, namespace, withLastApplied(m.object));
          this.created.push(m);
          this.log(`${what} created`);
          continue;
        }
        const plan = planApply(live, m.object);
        if (plan.changed) await this.api.replace(r, namespace, name, plan.object);
        this.log(`${what} ${plan.changed ? 'configured' : 'unchanged'} (it existed before this run, so it is left in place afterwards)`);
      } catch (err) {
        if (err instanceof ApiStatusError) throw new CliError(`applying ${what} from ${m.source}: ${err.message}`);
        throw err;
      }
    }
  }

  /** What is not serving yet, one entry per object; empty when everything is. */
  async pending(): Promise<string[]> {
    const out: string[] = [];
    const pod = resourceByKind('Pod')!;
    for (const m of this.objects) {
      const { resource: r, namespace } = m;
      const name = m.object.metadata.name;
      const live = await this.api.get(r, namespace, name);
      let why: string | undefined;
      if (r.kind === 'Deployment') why = deploymentProgress(live as Deployment);
      else if (r.kind === 'ReplicaSet') {
        const rs = live as ReplicaSet;
        const want = rs.spec.replicas ?? 1;
        if ((rs.status?.readyReplicas ?? 0) < want) why = `${rs.status?.readyReplicas ?? 0} of ${want} replicas ready`;
      } else if (r.kind === 'Pod') {
        if (!isPodReady(live as Pod)) why = `not ready (${(live as Pod).status?.phase ?? 'Pending'})`;
      } else if (r.kind === 'Service') {
        const svc = live as Service;
        if (svc.spec.selector && Object.keys(svc.spec.selector).length > 0) {
          const selector = selectorToString(fromLabels(svc.spec.selector));
          const pods = (await this.api.list<Pod>(pod, namespace, { labelSelector: selector })).items;
          const ready = pods.filter((p) => isPodReady(p) && !p.metadata.deletionTimestamp).length;
          let ep: Endpoints | undefined;
          try {
            ep = await this.api.get<Endpoints>(resourceByKind('Endpoints')!, namespace, name);
          } catch (err) {
            if (!(err instanceof ApiStatusError && err.isNotFound)) throw err;
          }
          why = serviceProgress(ep, ready);
        }
      }
      if (why) out.push(`${r.plural}/${name}: ${why}`);
    }
    return out;
  }

  /** Resolves when everything serves; throws naming what does not after `timeoutMs`. */
  async waitReady(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let shown = '';
    for (;;) {
      const pending = await this.pending();
      if (pending.length === 0) return;
      const line = pending.join('; ');
      if (line !== shown) this.log(`waiting: ${line}`);
      shown = line;
      if (Date.now() > deadline) throw new CliError(`the workload was not ready after ${timeoutMs / 1000}s: ${line}`);
      await sleep(250, signal);
    }
  }

  /** Deletes what this run created, newest first, and waits (bounded) for their pods to go. */
  async remove(timeoutMs = 30_000): Promise<void> {
    const selectors: { namespace: string | undefined; selector: string }[] = [];
    for (const m of [...this.created].reverse()) {
      const { resource: r, namespace } = m;
      const name = m.object.metadata.name;
      if (r.kind === 'Deployment' || r.kind === 'ReplicaSet') {
        const sel = (m.object as Deployment).spec?.selector;
        if (sel) selectors.push({ namespace, selector: selectorToString(fromLabelSelector(sel)) });
      }
      try {
        await this.api.delete(r, namespace, name);
        this.log(`${r.plural}/${name} deleted`);
      } catch (err) {
        if (!(err instanceof ApiStatusError && err.isNotFound)) throw err;
      }
    }
    const pod = resourceByKind('Pod')!;
    const deadline = Date.now() + timeoutMs;
    for (const s of selectors) {
      while (Date.now() < deadline) {
        const left = (await this.api.list<Pod>(pod, s.namespace, { labelSelector: s.selector })).items;
        if (left.length === 0) break;
        await sleep(200);
      }
    }
    this.created.length = 0;
  }
}
