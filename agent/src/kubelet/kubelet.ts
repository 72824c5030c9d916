// The kubelet: keeps the pods bound to this node running as real processes, level-triggered. The
// agent hands it the full desired set (sync, after every (re)connect) and deltas (upsert, remove);
// it starts what is missing, restarts what changed, stops what is no longer wanted, and reports
// pod status, events and terminations through the hooks.

import fs from 'node:fs';
import path from 'node:path';
import { configRefKey, jsonEqual, podConfigRefs, realClock, untilNextTick } from '@kip/shared';
import type {
  Clock,
  ConfigObjects,
  EventRecord,
  ExecStart,
  LogRequest,
  Logger,
  Pod,
  PodRef,
  PodStatusUpdate,
  PodUsage,
  ResourceList,
  TimerHandle,
  Timing,
} from '@kip/shared';
import { ConfigObjectCache } from './config-objects.js';
import { CpuThrottle } from './cpu-throttle.js';
import { memoryVolumesRoot } from './empty-dir.js';
import type { ContainerWorker } from './container-worker.js';
import { startExec, type ExecHandle, type ExecSink } from './exec.js';
import { streamLog, type LogSink } from './log-stream.js';
import { PodAddresses } from './pod-addresses.js';
import { gracePeriodMs, specGracePeriodMs } from './pod-context.js';
import { PodWorker, type PodWorkerDeps, type StopReason } from './pod-worker.js';
import { GroupRegistry, ProcessGroup, type ContainerProcess, type SpawnGroupOptions } from './process-group.js';
import { ResourceSampler } from './resource-sampler.js';
import { ListenPortDiscovery } from './listen-ports.js';
import { groupMembers } from './proc.js';
import { probeSandbox, type SandboxSupport } from './sandbox-probe.js';
import { StartQueue } from './start-queue.js';

export interface KubeletHooks {
  /** Called whenever a pod's computed status changes (the full PodStatus). */
  status(update: PodStatusUpdate): void;
  /** Kubelet events, in the kubelet's words. */
  event(ev: EventRecord): void;
  /** A pod with metadata.deletionTimestamp has fully stopped. */
  terminated(ref: PodRef): void;
}

export interface KubeletOptions {
  nodeName: string;
  /** The node's own directory; pods live in pods/<ns>_<name>_<uid>/ under it. */
  dataDir: string;
  /** The node's pod CIDR, from the control plane, e.g. "10.244.3.0/24": pod IPs are allocated from .2 to .254, stable per pod uid. */
  podCIDR: string;
  /** The cluster's timing, from the control plane: CrashLoopBackOff knobs, resourceSampleIntervalMs. */
  timing: Timing;
  log: Logger;
  clock?: Clock;
  /** Pod IPs and host ports, shared with the node's proxy (default: the kubelet's own). */
  addresses?: PodAddresses;
  /** Every process group started here, so that a dying agent can kill them all (default: the kubelet's own). */
  groups?: GroupRegistry;
  /** Starts a container's program (default: a process group in `groups`; tests put stand-ins here). */
  spawn?: (opts: SpawnGroupOptions) => ContainerProcess;
  hooks: KubeletHooks;
  /** Extra env for a pod's containers (service env, HTTP_PROXY: added by the proxy). */
  extraEnv?: (pod: Pod) => Record<string, string>;
  /** A stopped pod has given up its IP (the proxy forgets what it knew of that address). */
  addressReleased?: (ip: string) => void;
  /** The node's allocatable resources: what the downward API gives for a limit a container left out. */
  allocatable?: ResourceList;
  /** Resolves a pod's PersistentVolumeClaims to their directories (pvc-volume.ts). */
  claims?: (pod: Pod) => Promise<Map<string, string>>;
  /** Whether containers get a sandbox of their own (default: probed, or none when `spawn` is a stand-in). */
  sandbox?: SandboxSupport;
  /** Where in each period resource samples fall (untilNextTick): on the agent's heartbeat ticks, so both take one wakeup. */
  tickPhaseMs?: number;
}

interface NodeUsage {
  cpu: number;
  memory: number;
  pods: PodUsage[];
}

export class Kubelet {
  private readonly nodeName: string;
  private readonly podsDir: string;
  private timing: Timing;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly hooks: KubeletHooks;
  private readonly addressReleased?: (ip: string) => void;
  private readonly addresses: PodAddresses;
  private readonly groups: GroupRegistry;
  private readonly workers = new Map<string, PodWorker>();
  /** The ConfigMaps and Secrets the control plane sent for this node's pods. */
  readonly config = new ConfigObjectCache();
  /** Stop-and-cleanup in progress, per uid. */
  private readonly stopping = new Map<string, Promise<void>>();
  /** Pods wanted again while their old worker was still stopping: started once it is gone. */
  private readonly startAfterStop = new Map<string, Pod>();
  private readonly dirty = new Set<PodWorker>();
  private readonly starts: StartQueue;
  private flushScheduled = false;
  private readonly deps: PodWorkerDeps;
  private readonly sampler = new ResourceSampler();
  /** Pods this kubelet evicted: never started again, whatever a late copy of them says. */
  private readonly evicted = new Set<string>();
  /** Holds containers with a CPU limit to it. */
  readonly cpuThrottle = new CpuThrottle();
  private readonly listenPorts = new ListenPortDiscovery();
  private sampleTimer: TimerHandle | undefined;
  private selfUsage = { cpu: 0, memory: 0 };
  /** Counts samples, so that a heartbeat carries usage only when there is a new one. */
  private samples = 0;
  private shuttingDown = false;
  private readonly tickPhaseMs: number;

  constructor(opts: KubeletOptions) {
    this.nodeName = opts.nodeName;
    this.podsDir = path.join(opts.dataDir, 'pods');
    this.timing = opts.timing;
    this.log = opts.log;
    this.clock = opts.clock ?? realClock;
    this.tickPhaseMs = opts.tickPhaseMs ?? 0;
    // A hook that throws is a bug elsewhere; it must not stop this kubelet from managing its pods.
    const guard =
      <A extends unknown[]>(name: string, fn: (...a: A) => void) =>
      (...a: A) => {
        try {
          fn(...a);
        } catch (err) {
          this.log.error(`kubelet ${name} hook failed`, { error: (err as Error).message });
        }
      };
    this.hooks = {
      status: guard('status', opts.hooks.status),
      event: guard('event', opts.hooks.event),
      terminated: guard('terminated', opts.hooks.terminated),
    };
    this.addresses = opts.addresses ?? new PodAddresses();
    if (opts.podCIDR) this.addresses.assignCidr(opts.podCIDR);
    this.groups = opts.groups ?? new GroupRegistry();
    this.starts = new StartQueue(this.clock, (err) => this.log.error('container start failed', { error: (err as Error).message }));
    this.addressReleased = opts.addressReleased;
    fs.mkdirSync(this.podsDir, { recursive: true });
    const sandbox = opts.sandbox ?? (opts.spawn ? { available: false, reason: 'containers are started by a stand-in' } : probeSandbox(this.podsDir));
    if (sandbox.available) this.log.info('containers run in their own user, mount and UTS namespaces', { node: this.nodeName });
    else this.log.warn(`containers run on the bare host, without a sandbox: user namespaces unavailable: ${sandbox.reason}`, { node: this.nodeName });
    this.deps = {
      sandbox,
      nodeName: this.nodeName,
      podsDir: this.podsDir,
      clock: this.clock,
      log: this.log,
      groups: this.groups,
      spawn: opts.spawn ?? ((o) => ProcessGroup.spawn(o, this.groups)),
      limitCpu: (group, millis) => {
        this.cpuThrottle.limit(group.pid, millis, () => group.watcherPid);
        return () => this.cpuThrottle.release(group.pid);
      },
      addresses: this.addresses,
      timing: () => this.timing,
      extraEnv: opts.extraEnv,
      config: this.config,
      allocatable: opts.allocatable ?? {},
      ...(opts.claims ? { claims: opts.claims } : {}),
      changed: (w) => this.markDirty(w),
      event: (ev) => this.hooks.event(ev),
      pace: (start) => this.starts.push(start),
    };
    this.scheduleSample();
  }

  /** A later welcome (the control plane came back, perhaps rebuilt) names the pod CIDR again: new pods use it. */
  setPodCIDR(cidr: string): void {
    this.addresses.assignCidr(cidr);
  }

  /** A later welcome brings the cluster's timing again, which a restarted control plane may have changed. */
  setTiming(t: Timing): void {
    const intervalChanged = t.resourceSampleIntervalMs !== this.timing.resourceSampleIntervalMs;
    this.timing = t;
    if (intervalChanged) {
      this.clock.clearTimeout(this.sampleTimer);
      this.sampleTimer = undefined;
      this.scheduleSample();
    }
  }

  /** ConfigMaps and Secrets from the control plane: the pods that use what changed refresh their files and retry waiting starts. */
  applyConfig(msg: ConfigObjects): void {
    const changed = this.config.apply(msg);
    if (changed.size === 0) return;
    for (const w of this.workers.values()) {
      if (w.stopReason) continue;
      const refs = podConfigRefs(w.pod.metadata.namespace ?? 'default', w.pod.spec);
      if (refs.some((r) => changed.has(configRefKey(r)))) w.configChanged();
    }
  }

  /** The full desired set: start what is missing, update what changed, stop anything not listed. */
  sync(pods: Pod[]): void {
    if (this.shuttingDown) return;
    const wanted = new Set<string>();
    for (const pod of pods) {
      if (pod.metadata.uid) wanted.add(pod.metadata.uid);
      this.upsert(pod);
    }
    for (const w of this.workers.values()) {
      if (wanted.has(w.uid) || w.stopReason) continue;
      w.silent = true;
      this.stopWorker(w, 'unwanted', specGracePeriodMs(w.pod));
    }
    for (const uid of this.startAfterStop.keys()) if (!wanted.has(uid)) this.startAfterStop.delete(uid);
    for (const uid of this.evicted) if (!wanted.has(uid)) this.evicted.delete(uid);
    this.removeStaleDirs();
  }

  /** One pod added or changed; a deletionTimestamp means stop gracefully, then report `terminated`. */
  upsert(pod: Pod): void {
    if (this.shuttingDown) return;
    const uid = pod.metadata.uid;
    const ref = refOf(pod);
    if (!uid) {
      this.log.warn('pod without metadata.uid ignored', { pod: `${ref.namespace}/${ref.name}` });
      return;
    }
    if (pod.spec.nodeName && pod.spec.nodeName !== this.nodeName) {
      this.log.warn('pod bound to another node ignored', { pod: `${ref.namespace}/${ref.name}`, nodeName: pod.spec.nodeName });
      return;
    }
    const deleting = !!pod.metadata.deletionTimestamp;
    const w = this.workers.get(uid);
    if (w) {
      if (w.stopReason === 'unwanted' && !deleting) {
        this.startAfterStop.set(uid, pod);
        return;
      }
      if (w.stopReason && !deleting) return;
      w.update(pod);
      if (deleting) this.stopWorker(w, 'deleted', gracePeriodMs(pod));
      return;
    }
    if (this.stopping.has(uid)) {
      if (!deleting) this.startAfterStop.set(uid, pod);
      return;
    }
    if (deleting) {
      // Nothing of it runs here: it has already stopped.
      fs.rmSync(path.join(this.podsDir, `${ref.namespace}_${ref.name}_${uid}`), { recursive: true, force: true });
      fs.rmSync(path.join(memoryVolumesRoot(this.podsDir), `${ref.namespace}_${ref.name}_${uid}`), { recursive: true, force: true });
      queueMicrotask(() => this.hooks.terminated(ref));
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || this.evicted.has(uid)) {
      // A pod that has finished never runs again, as in Kubernetes.
      this.log.debug('terminal pod not started', { pod: `${ref.namespace}/${ref.name}`, phase: pod.status?.phase ?? 'Failed' });
      return;
    }
    const worker = new PodWorker(this.deps, pod);
    this.workers.set(uid, worker);
    worker.begin();
  }

  /** The pod is gone from the store (force delete, eviction): kill it now; no `terminated` follows. */
  remove(ref: PodRef): void {
    this.startAfterStop.delete(ref.uid);
    const w = this.workers.get(ref.uid);
    if (!w) return;
    w.silent = true;
    this.stopWorker(w, 'removed', 0);
  }

  /** Pods this kubelet has workers for, stopping ones included. */
  running(): PodRef[] {
    return [...this.workers.values()].map((w) => refOf(w.pod));
  }

  /** How many resource samples have been taken: a new number means usage() has news. */
  get sampleCount(): number {
    return this.samples;
  }

  /**
   * The last resource sample: per pod and container, and node totals (pods plus the agent itself).
   * As metrics-server reports them, only containers that run now have metrics, and a pod with none
   * running (completed, failed, waiting on its image or in back-off) has none.
   */
  usage(): NodeUsage {
    const pods: PodUsage[] = [];
    let cpu = this.selfUsage.cpu;
    let memory = this.selfUsage.memory;
    for (const w of this.workers.values()) {
      const containers = w.allContainers.filter((c) => c.pid !== undefined).map((c) => ({ name: c.name, cpu: c.usage.cpu, memory: c.usage.memory }));
      for (const c of containers) {
        cpu += c.cpu;
        memory += c.memory;
      }
      if (containers.length > 0) pods.push({ ...refOf(w.pod), containers });
    }
    return { cpu, memory, pods };
  }

  /**
   * The container a `kubectl logs` or `exec` names: the pod's only one when no name is given, as
   * the API server defaults it, or the reason there is none, in the API server's words.
   */
  private findContainer(namespace: string, pod: string, container: string): { w: PodWorker; c: ContainerWorker } | { error: string } {
    const candidates = [...this.workers.values()].filter((w) => w.pod.metadata.name === pod && (w.pod.metadata.namespace ?? 'default') === namespace);
    const w = candidates.find((c) => !c.stopReason) ?? candidates[candidates.length - 1];
    if (!w) return { error: `pods "${pod}" not found` };
    const names = w.allContainers.map((c) => c.name);
    let name = container;
    if (!name) {
      // Only a pod with one container has a default; its init containers do not count.
      if (w.containers.length !== 1) return { error: `a container name must be specified for pod ${pod}, choose one of: [${names.join(' ')}]` };
      name = w.containers[0]!.name;
    }
    const c = w.allContainers.find((x) => x.name === name);
    if (!c) return { error: `container "${name}" is not valid for pod "${pod}": choose one of: [${names.join(' ')}]` };
    return { w, c };
  }

  /** Serves `kubectl logs`; returns a function that stops a follow. */
  streamLogs(req: LogRequest, sink: LogSink): () => void {
    const found = this.findContainer(req.namespace, req.pod, req.container);
    if ('error' in found) {
      sink.end(found.error);
      return () => undefined;
    }
    const target = found.c.logFileFor(req.previous, req.pod);
    if ('error' in target) {
      sink.end(target.error);
      return () => undefined;
    }
    return streamLog(target.file, target.live, req.follow, { tailLines: req.tailLines, limitBytes: req.limitBytes }, sink);
  }

  /** Serves `kubectl exec`: the command runs with the container's environment, in its pod's directory. */
  exec(req: ExecStart, sink: ExecSink): ExecHandle {
    const found = this.findContainer(req.namespace, req.pod, req.container);
    const refuse = (error: string): ExecHandle => {
      sink.exit({ error });
      return { input: () => undefined, eof: () => undefined, cancel: () => undefined };
    };
    if ('error' in found) return refuse(found.error);
    const { w, c } = found;
    // Inside the container's namespaces when it has a sandbox, as `kubectl exec` enters the container.
    const inside = w.stopReason || c.pid === undefined ? undefined : c.commandInside(req.command);
    if (!inside) return refuse(`container ${c.name} is not running (pod ${req.namespace}/${req.pod})`);
    return startExec({ ...inside, stdin: req.stdin, tty: req.tty }, this.groups, sink);
  }

  /** Serves `kubectl attach`: the sink joins the running container's own output, and its stdin with -i. */
  attach(req: ExecStart, sink: ExecSink): ExecHandle {
    const found = this.findContainer(req.namespace, req.pod, req.container);
    if (!('error' in found) && !found.w.stopReason && found.c.pid !== undefined) return found.c.attach(req.stdin, sink);
    sink.exit({ error: 'error' in found ? found.error : `container ${found.c.name} is not running (pod ${req.namespace}/${req.pod})` });
    return { input: () => undefined, eof: () => undefined, cancel: () => undefined };
  }

  /** Clean node shutdown: every pod stopped gracefully; resolves when all their processes are gone. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.clock.clearTimeout(this.sampleTimer);
    this.sampleTimer = undefined;
    this.startAfterStop.clear();
    for (const w of this.workers.values()) {
      this.stopWorker(w, 'shutdown', w.pod.metadata.deletionTimestamp ? gracePeriodMs(w.pod) : specGracePeriodMs(w.pod));
    }
    await Promise.all(this.stopping.values());
    this.cpuThrottle.releaseAll();
    this.log.info('all pods stopped');
  }

  /** Last resort when the agent process exits: SIGKILL every process group now, synchronously. */
  killAllNow(): void {
    this.shuttingDown = true;
    this.clock.clearTimeout(this.sampleTimer);
    this.sampleTimer = undefined;
    this.cpuThrottle.releaseAll();
    this.groups.killAll();
  }

  // ---- stopping ----------------------------------------------------------------------------------

  private stopWorker(w: PodWorker, reason: StopReason, graceMs: number): void {
    const stopped = w.stop(reason, graceMs);
    if (this.stopping.has(w.uid)) return;
    const done = stopped.then(() => this.cleanup(w));
    this.stopping.set(w.uid, done);
  }

  private cleanup(w: PodWorker): void {
    if (!w.silent) this.publish(w);
    this.dirty.delete(w);
    this.addresses.release(w.uid);
    if (w.podIP) this.addressReleased?.(w.podIP);
    try {
      fs.rmSync(w.podDir, { recursive: true, force: true });
      fs.rmSync(path.join(memoryVolumesRoot(this.podsDir), path.basename(w.podDir)), { recursive: true, force: true });
      removeIfEmpty(memoryVolumesRoot(this.podsDir));
    } catch (err) {
      this.log.warn('cannot remove pod directory', { pod: w.podKey, dir: w.podDir, error: (err as Error).message });
    }
    this.workers.delete(w.uid);
    this.stopping.delete(w.uid);
    this.log.info('pod stopped', { pod: w.podKey, uid: w.uid, reason: w.stopReason });
    if (w.stopReason === 'deleted') this.hooks.terminated(refOf(w.pod));
    const again = this.startAfterStop.get(w.uid);
    if (again && !this.shuttingDown) {
      this.startAfterStop.delete(w.uid);
      this.upsert(again);
    }
  }

  /** Pod directories left by pods that are no longer here (an earlier run of the agent). */
  private removeStaleDirs(): void {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.podsDir);
    } catch {
      return;
    }
    const known = new Set([...this.workers.keys(), ...this.stopping.keys()]);
    const memoryRoot = memoryVolumesRoot(this.podsDir);
    let inMemory: string[] = [];
    try {
      inMemory = fs.readdirSync(memoryRoot);
    } catch {
      // no memory-backed volume here
    }
    for (const [dir, list] of [
      [this.podsDir, entries],
      [memoryRoot, inMemory],
    ] as const) {
      for (const e of list) {
        const uid = e.slice(e.lastIndexOf('_') + 1);
        if (known.has(uid)) continue;
        fs.rmSync(path.join(dir, e), { recursive: true, force: true });
      }
    }
  }

  // ---- status --------------------------------------------------------------------------------------

  private markDirty(w: PodWorker): void {
    if (w.silent) return;
    this.dirty.add(w);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Changes made in one turn of the event loop (three containers starting) become one update.
    this.clock.afterIO(() => {
      this.flushScheduled = false;
      const batch = [...this.dirty];
      this.dirty.clear();
      for (const d of batch) if (!d.silent && this.workers.get(d.uid) === d) this.publish(d);
    });
  }

  private publish(w: PodWorker): void {
    const status = w.status();
    if (w.lastStatus && jsonEqual(status, w.lastStatus)) return;
    w.lastStatus = status;
    this.hooks.status({ ...refOf(w.pod), status });
  }

  // ---- resources -------------------------------------------------------------------------------------

  private scheduleSample(): void {
    if (this.shuttingDown || this.sampleTimer) return;
    this.sampleTimer = this.clock.setTimeout(
      () => {
        this.sampleTimer = undefined;
        this.sample();
        this.scheduleSample();
      },
      untilNextTick(this.clock.now(), this.timing.resourceSampleIntervalMs, this.tickPhaseMs),
    );
  }

  private sample(): void {
    try {
      const byPid = new Map<number, { w: PodWorker; c: PodWorker['containers'][number] }>();
      for (const w of this.workers.values()) for (const c of w.allContainers) if (c.pid !== undefined) byPid.set(c.pid, { w, c });
      const s = this.sampler.sample([...byPid.keys()]);
      this.samples++;
      this.selfUsage = s.self;
      const inMemoryVolumes = new Map<PodWorker['containers'][number], number>();
      for (const w of this.workers.values()) for (const [c, bytes] of w.memoryVolumeBytes()) inMemoryVolumes.set(c, bytes);
      for (const [pgid, { c }] of byPid) {
        const u = { ...(s.groups.get(pgid) ?? { cpu: 0, memory: 0 }) };
        u.memory += inMemoryVolumes.get(c) ?? 0;
        c.usage = u;
        const limit = c.memoryLimit;
        if (limit > 0 && u.memory > limit) c.oomKill(u.memory);
      }
      this.discoverListenPorts();
      this.evictOverLimit();
    } catch (err) {
      this.log.warn('resource sampling failed', { error: (err as Error).message });
    }
  }

  /** The eviction manager's emptyDir check: a pod whose emptyDir passed its sizeLimit fails, Evicted. */
  private evictOverLimit(): void {
    for (const w of this.workers.values()) {
      const message = w.overLimit();
      if (!message) continue;
      w.markEvicted(message);
      this.evicted.add(w.uid);
      this.stopWorker(w, 'evicted', 0);
    }
  }

  /** Points declared ports at where their programs really listen, when that is not their host port (listen-ports.ts). */
  private discoverListenPorts(): void {
    const pods = [...this.workers.values()].map((w) => ({
      uid: w.uid,
      hostPorts: w.hostPorts,
      containers: w.containers.flatMap((c) =>
        c.pid === undefined
          ? []
          : [
              {
                pgid: c.pid,
                keys: (c.spec.ports ?? []).map((p) => `${c.name}/${p.containerPort}`),
                pids: () => groupMembers(new Set([c.pid!])).get(c.pid!) ?? [c.pid!],
              },
            ],
      ),
    }));
    for (const uid of this.listenPorts.refresh(pods)) {
      const w = this.workers.get(uid);
      if (!w) continue;
      this.log.info('container listens elsewhere: its declared ports now reach the ports it listens on', { pod: w.podKey, ports: JSON.stringify(w.hostPorts) });
      this.markDirty(w);
    }
  }
}

/** Removes a directory that nothing is left in (the node's memory-backed volumes, when its last pod goes). */
function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty, or not there
  }
}

function refOf(pod: Pod): PodRef {
  return { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, uid: pod.metadata.uid ?? '' };
}
