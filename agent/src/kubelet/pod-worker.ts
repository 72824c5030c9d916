// One pod on this node: its sandbox (directory, pod IP, host ports), its containers, and its stop.
// The kubelet owns the set of pod workers; a pod worker owns everything of one pod.

import fs from 'node:fs';
import path from 'node:path';
import { claimNamesOf, isoNow } from '@kip/shared';
import type { Clock, Container, ContainerStatus, EventRecord, Logger, Pod, PodStatus, Probe, ResourceList, Timing, TimerHandle } from '@kip/shared';
import type { ConfigSource } from './config-objects.js';
import { ContainerWorker } from './container-worker.js';
import { buildContainerEnv } from './env.js';
import { declaredPortKeys } from './host-ports.js';
import type { PodAddresses } from './pod-addresses.js';
import { specGracePeriodMs, type EventType, type PodContext } from './pod-context.js';
import { computePodStatus } from './pod-status.js';
import { runProbe, type ProbeResult, type ProbeTarget } from './probe-handlers.js';
import type { ContainerProcess, GroupRegistry, SpawnGroupOptions } from './process-group.js';
import { containerMounts, PodVolumes, VolumeSetupError, volumeHostDir } from './volumes.js';
import { directoryUsage, EVICTED_REASON, emptyDirLimits, emptyDirOverLimit, isMemoryBacked, SHM_DIR, tmpfsAvailable } from './empty-dir.js';
import type { Mount } from './sandbox.js';
import { sandboxDescription, type SandboxSupport } from './sandbox-probe.js';

export const HOST_IP = '127.0.0.1';

/** How long a pod whose sandbox could not be set up (no IP, no port) waits before trying again. */
const SANDBOX_RETRY_MS = 5000;

/** How long a pod whose volumes could not be set up waits before trying again, unless its config arrives first. */
const VOLUME_RETRY_MS = 5000;

export interface PodWorkerDeps {
  nodeName: string;
  podsDir: string;
  clock: Clock;
  log: Logger;
  groups: GroupRegistry;
  /** Whether containers get a sandbox of their own on this node. */
  sandbox: SandboxSupport;
  spawn(opts: SpawnGroupOptions): ContainerProcess;
  /** Holds a container to its CPU limit (cpu-throttle.ts); returns its release. */
  limitCpu(group: ContainerProcess, millis: number): () => void;
  addresses: PodAddresses;
  timing(): Timing;
  extraEnv?: (pod: Pod) => Record<string, string>;
  /** The ConfigMaps and Secrets this node holds. */
  config: ConfigSource;
  /** The node's allocatable resources, for the downward API's resourceFieldRef. */
  allocatable: ResourceList;
  /** The directories of the PersistentVolumeClaims a pod names (pvc-volume.ts); none when absent. */
  claims?: (pod: Pod) => Promise<Map<string, string>>;
  /** The pod's status may have changed. */
  changed(worker: PodWorker): void;
  event(ev: EventRecord): void;
  /** Runs a container start in its turn: one per turn of the event loop (see start-queue.ts). */
  pace(start: () => void): void;
}

/**
 * Why a pod is being stopped: deleted (metadata.deletionTimestamp; the control plane waits for
 * `terminated`), unwanted (no longer bound here), removed (gone from the store: kill now),
 * shutdown (the node is going down), evicted (the kubelet's eviction manager: the pod fails).
 */
export type StopReason = 'deleted' | 'unwanted' | 'removed' | 'shutdown' | 'evicted';

export function podDirName(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}_${pod.metadata.name}_${pod.metadata.uid ?? ''}`;
}

export class PodWorker implements PodContext {
  pod: Pod;
  readonly uid: string;
  readonly podKey: string;
  readonly podDir: string;
  podIP = '';
  hostPorts: Record<string, number> = {};
  readonly startTime: string;
  readonly containers: ContainerWorker[];
  /** Run one after the other, each to completion, before `containers` start. */
  readonly initContainers: ContainerWorker[];
  stopReason: StopReason | undefined;
  /** Its status is no longer reported (the pod is not this node's any more). */
  silent = false;
  /** Every container has stopped for good. */
  terminal = false;
  /** The status last reported. */
  lastStatus: PodStatus | undefined;
  /** Why the kubelet evicted the pod (its status message), once it has. */
  evictedBecause: string | undefined;
  private setup: Promise<boolean> = Promise.resolve(false);
  private readonly volumes: PodVolumes;
  /** claim name -> its volume's directory, resolved before the containers start. */
  private claimDirs = new Map<string, string>();
  /** Volumes are set up: from now on they are refreshed, not set up. */
  private volumesReady = false;
  /** The sandbox is set up: containers may start. */
  private prepared = false;
  /** The workers whose start has been asked for. */
  private readonly startsAsked = new Set<ContainerWorker>();
  private retryTimer: TimerHandle | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly deps: PodWorkerDeps,
    pod: Pod,
  ) {
    this.pod = pod;
    this.uid = pod.metadata.uid ?? '';
    this.podKey = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    this.podDir = path.join(deps.podsDir, podDirName(pod));
    this.startTime = isoNow(deps.clock);
    // A pod this node ran before this agent process (the stored status names its containers' runs)
    // starts its containers again as restarts, as the kubelet does after a reboot.
    const previous = (statuses: ContainerStatus[] | undefined, name: string) =>
      pod.spec.nodeName === deps.nodeName ? statuses?.find((s) => s.name === name) : undefined;
    this.initContainers = (pod.spec.initContainers ?? []).map(
      (c) => new ContainerWorker(this, c, true, false, previous(pod.status?.initContainerStatuses, c.name)),
    );
    this.containers = pod.spec.containers.map(
      (c) => new ContainerWorker(this, c, false, this.initContainers.length > 0, previous(pod.status?.containerStatuses, c.name)),
    );
    this.volumes = new PodVolumes(this.podDir, () => ({
      pod: this.pod,
      config: deps.config,
      nodeName: deps.nodeName,
      podIP: this.podIP,
      hostIP: HOST_IP,
      allocatable: deps.allocatable,
    }));
  }

  /** Init containers, then containers. */
  get allContainers(): ContainerWorker[] {
    return [...this.initContainers, ...this.containers];
  }

  // ---- PodContext ------------------------------------------------------------------------------

  get clock(): Clock {
    return this.deps.clock;
  }
  get log(): Logger {
    return this.deps.log;
  }
  get groups(): GroupRegistry {
    return this.deps.groups;
  }
  get sandbox(): SandboxSupport {
    return this.deps.sandbox;
  }
  timing(): Timing {
    return this.deps.timing();
  }
  mounts(container: Container): Mount[] {
    return containerMounts(this.pod, container, this.podDir, (claim) => this.claimDirs.get(claim));
  }
  env(container: Container): Record<string, string> {
    return buildContainerEnv({
      pod: this.pod,
      container,
      nodeName: this.deps.nodeName,
      podIP: this.podIP,
      hostIP: HOST_IP,
      podDir: this.podDir,
      hostPorts: this.hostPorts,
      agentEnv: process.env,
      extraEnv: this.deps.extraEnv?.(this.pod),
      config: this.deps.config,
      allocatable: this.deps.allocatable,
      skippedKeys: (kind, ref, keys) =>
        this.event(
          'Warning',
          'InvalidEnvironmentVariableNames',
          `Keys [${keys.join(', ')}] from the EnvFrom ${kind} ${ref} were skipped since they are considered invalid environment variable names.`,
        ),
    });
  }
  event(type: EventType, reason: string, message: string, container?: string): void {
    this.deps.event({
      involvedObject: {
        kind: 'Pod',
        namespace: this.pod.metadata.namespace ?? 'default',
        name: this.pod.metadata.name,
        uid: this.uid,
        ...(container ? { fieldPath: `spec.${this.initContainers.some((c) => c.name === container) ? 'initContainers' : 'containers'}{${container}}` } : {}),
      },
      reason,
      message,
      type,
    });
  }
  changed(): void {
    this.advance();
    this.deps.changed(this);
  }
  spawn(opts: SpawnGroupOptions): ContainerProcess {
    return this.deps.spawn(opts);
  }
  limitCpu(group: ContainerProcess, millis: number): () => void {
    return this.deps.limitCpu(group, millis);
  }
  probe(probe: Probe, target: ProbeTarget): Promise<ProbeResult> {
    return runProbe(probe, target, this.podIP);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Sets up the sandbox, then starts every container. */
  begin(): void {
    this.deps.log.debug('pod added', { pod: this.podKey, uid: this.uid });
    this.setup = this.prepare();
    void this.setup.then((ok) => {
      if (!ok || this.stopReason) return;
      this.prepared = true;
      this.advance();
    });
    this.changed();
  }

  private async prepare(): Promise<boolean> {
    for (;;) {
      try {
        // A pod that existed here before (an agent restart) starts over with fresh logs.
        fs.rmSync(path.join(this.podDir, 'logs'), { recursive: true, force: true });
        fs.mkdirSync(this.podDir, { recursive: true });
        const name = { namespace: this.pod.metadata.namespace ?? 'default', name: this.pod.metadata.name };
        this.podIP = this.deps.addresses.allocateIP(this.uid, name, this.pod.status?.podIP);
        this.hostPorts = await this.deps.addresses.allocatePorts(
          this.uid,
          declaredPortKeys(this.pod, (name) => this.containers.find((c) => c.name === name)?.exposedPorts ?? []),
        );
        if (this.stopReason) return false;
        this.changed();
        break;
      } catch (err) {
        const message = `Failed to create pod sandbox: ${(err as Error).message}`;
        this.event('Warning', 'FailedCreatePodSandBox', message);
        this.deps.log.warn('pod sandbox setup failed', { pod: this.podKey, error: (err as Error).message });
        if (this.stopReason || !(await this.retryAfter(SANDBOX_RETRY_MS))) return false;
      }
    }
    // A claim's directory comes from its bound volume; a claim not bound yet keeps the pod waiting.
    if (this.deps.claims && claimNamesOf(this.pod).length > 0) {
      for (;;) {
        try {
          this.claimDirs = await this.deps.claims(this.pod);
          break;
        } catch (err) {
          this.event('Warning', 'FailedMount', `Unable to attach or mount volumes: ${(err as Error).message}`);
          this.deps.log.debug('pod claims not ready', { pod: this.podKey, error: (err as Error).message });
          if (this.stopReason || !(await this.retryAfter(VOLUME_RETRY_MS))) return false;
        }
      }
    }
    // Containers start only once every volume is there, as the kubelet waits for its mounts.
    for (;;) {
      try {
        this.volumes.setUp();
        this.volumesReady = true;
        const onDisk = (this.pod.spec.volumes ?? []).filter((v) => isMemoryBacked(v) && !tmpfsAvailable()).map((v) => v.name);
        if (onDisk.length > 0)
          this.event(
            'Warning',
            'MemoryVolumeOnDisk',
            `emptyDir volumes [${onDisk.join(' ')}] with medium Memory are on disk: ${SHM_DIR} is not a writable tmpfs here`,
          );
        return !this.stopReason;
      } catch (err) {
        const volume = err instanceof VolumeSetupError ? err.volume : '?';
        this.event('Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${volume}" : ${(err as Error).message}`);
        this.deps.log.debug('pod volume setup failed', { pod: this.podKey, volume, error: (err as Error).message });
        if (this.stopReason || !(await this.retryAfter(VOLUME_RETRY_MS))) return false;
      }
    }
  }

  /** Waits before another try of the setup; a stop ends the wait (false), a config change cuts it short. */
  private async retryAfter(ms: number): Promise<boolean> {
    const again = await new Promise<boolean>((resolve) => {
      this.retryTimer = this.deps.clock.setTimeout(() => resolve(!this.stopReason), ms);
      this.retryResolve = resolve;
    });
    this.retryTimer = undefined;
    this.retryResolve = undefined;
    return again;
  }

  /** A ConfigMap or Secret the pod references changed (or arrived, or went). */
  configChanged(): void {
    if (this.stopReason) return;
    if (!this.volumesReady) {
      if (this.retryResolve) {
        this.deps.clock.clearTimeout(this.retryTimer);
        this.retryResolve(true);
      }
      return;
    }
    this.refreshVolumes();
    for (const c of this.allContainers) c.configChanged();
  }

  private refreshVolumes(): void {
    this.volumes.refresh((volume, message) => this.deps.log.warn('pod volume not refreshed', { pod: this.podKey, volume, error: message }));
  }

  private retryResolve: ((again: boolean) => void) | undefined;
  /** Sidecars that have started once: the init containers after them may go. */
  private readonly sidecarsUp = new Set<ContainerWorker>();
  private sidecarsStopped = false;

  /**
   * Starts what may start now: the first init container that has not completed, once the one
   * before it has; the containers once every init container has. A failed init container is
   * restarted by its own worker (or not, under restartPolicy Never: then nothing else starts).
   */
  private advance(): void {
    if (!this.prepared || this.stopReason) return;
    for (const c of this.initContainers) {
      if (c.sidecar) {
        // A sidecar starts in its turn; the next waits until it has started, once.
        this.startOnce(c);
        if (!this.sidecarsUp.has(c)) {
          if (!c.started) return;
          this.sidecarsUp.add(c);
        }
        continue;
      }
      if (c.completed) continue;
      this.startOnce(c);
      return;
    }
    for (const c of this.containers) this.startOnce(c);
    this.stopSidecarsWhenDone();
  }

  /**
   * Once every container has ended for good (a Job's pod), its sidecars are stopped, as the kubelet
   * does, so that the pod can finish.
   */
  private stopSidecarsWhenDone(): void {
    if (this.sidecarsStopped || this.pod.spec.restartPolicy === 'Always') return;
    const sidecars = this.initContainers.filter((c) => c.sidecar);
    if (sidecars.length === 0 || !this.containers.every((c) => c.phase === 'Terminated')) return;
    this.sidecarsStopped = true;
    for (const c of sidecars) void c.stop(specGracePeriodMs(this.pod));
  }

  private startOnce(c: ContainerWorker): void {
    if (this.startsAsked.has(c)) return;
    this.startsAsked.add(c);
    this.deps.pace(() => {
      if (!this.stopReason) c.start();
    });
  }

  /**
   * The eviction manager's check of this pod: the message of an eviction when an emptyDir uses
   * more than its sizeLimit (empty-dir.ts), undefined otherwise.
   */
  overLimit(): string | undefined {
    if (!this.volumesReady || this.stopReason) return undefined;
    const limits = emptyDirLimits(this.pod);
    if (limits.length === 0) return undefined;
    const volumes = new Map((this.pod.spec.volumes ?? []).map((v) => [v.name, v]));
    return emptyDirOverLimit(limits, (name) => volumeHostDir(volumes.get(name)!, this.podDir));
  }

  /** The kubelet evicts the pod: it fails with the reason Evicted (the kubelet then stops it with no grace, as evictPod does). */
  markEvicted(message: string): void {
    this.evictedBecause = message;
    this.event('Warning', EVICTED_REASON, message);
    this.deps.log.info('pod evicted', { pod: this.podKey, message });
  }

  /**
   * Bytes in the pod's memory-backed emptyDirs, by the container they count toward: the first
   * that mounts each (tmpfs pages are charged to the cgroup that touched them).
   */
  memoryVolumeBytes(): Map<ContainerWorker, number> {
    const out = new Map<ContainerWorker, number>();
    if (!this.volumesReady || !tmpfsAvailable()) return out;
    for (const v of this.pod.spec.volumes ?? []) {
      if (!isMemoryBacked(v)) continue;
      const owner = this.allContainers.find((c) => c.pid !== undefined && (c.spec.volumeMounts ?? []).some((m) => m.name === v.name));
      if (!owner) continue;
      const { bytes } = directoryUsage(volumeHostDir(v, this.podDir));
      out.set(owner, (out.get(owner) ?? 0) + bytes);
    }
    return out;
  }

  /** A newer version of the pod object: containers whose definition changed are restarted. */
  update(pod: Pod): void {
    this.pod = pod;
    // The downward API's files follow the pod's labels and annotations.
    if (this.volumesReady && !this.stopReason) this.refreshVolumes();
    if (!this.stopReason) {
      for (const spec of pod.spec.containers) this.containers.find((c) => c.name === spec.name)?.update(spec);
    }
    this.changed();
  }

  /**
   * Stops every container (SIGTERM, SIGKILL after graceMs); resolves when all their processes are
   * gone. Called again with a shorter grace period, it shortens the wait.
   */
  stop(reason: StopReason, graceMs: number): Promise<void> {
    if (reason === 'removed' || !this.stopReason || (reason === 'deleted' && this.stopReason === 'unwanted')) this.stopReason = reason;
    if (this.retryTimer) {
      this.deps.clock.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.retryResolve?.(false);
    }
    if (this.stopping) {
      for (const c of this.allContainers) void (reason === 'removed' ? c.killNow() : c.stop(graceMs));
      return this.stopping;
    }
    this.deps.log.info('stopping pod', { pod: this.podKey, reason, graceSeconds: graceMs / 1000 });
    this.stopping = (async () => {
      await this.setup;
      await Promise.all(this.allContainers.map((c) => (this.stopReason === 'removed' ? c.killNow() : c.stop(graceMs))));
      this.terminal = true;
      this.changed();
    })();
    return this.stopping;
  }

  status(): PodStatus {
    return computePodStatus({
      pod: this.pod,
      containerStatuses: this.containers.map((c) => c.status()),
      initContainerStatuses: this.initContainers.map((c) => c.status()),
      podIP: this.podIP || undefined,
      hostIP: HOST_IP,
      startTime: this.startTime,
      hostPorts: this.hostPorts,
      terminal: this.terminal,
      ...(this.terminal && this.stopReason === 'shutdown'
        ? { reason: 'Terminated', message: 'Pod was terminated in response to imminent node shutdown.' }
        : {}),
      ...(this.evictedBecause ? { phase: 'Failed' as const, reason: EVICTED_REASON, message: this.evictedBecause } : {}),
      previous: this.lastStatus,
      sandbox: sandboxDescription(
        this.deps.sandbox,
        this.allContainers.some((c) => c.sandboxed),
      ),
      now: isoNow(this.deps.clock),
    });
  }
}
