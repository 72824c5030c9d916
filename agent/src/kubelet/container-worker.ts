// One container of a pod, over its whole life: start, run (with probes), exit, restart by policy
// with CrashLoopBackOff, and stop. Its state is kept in Kubernetes' shape (state, lastState,
// restartCount) so that the pod status is a plain read of it.

import fs from 'node:fs';
import { isoNow, parseBytes } from '@kip/shared';
import type { Container, ContainerState, ContainerStateTerminated, ContainerStatus, TimerHandle } from '@kip/shared';
import { ImagePullError, resolveImage, type ResolvedImage } from '../images/registry.js';
import { containerArgv, lookPath } from './command.js';
import { ContainerLog, containerLogDir, containerLogPath, removeLog } from './container-logs.js';
import { backOffMessage, CrashLoopBackoff, formatPod, shouldRestart } from './crash-backoff.js';
import { workingDirOf } from './env.js';
import { specGracePeriodMs, type PodContext } from './pod-context.js';
import { runProbe } from './probe-handlers.js';
import { PROBE_TITLE, ProbeWorker, type ProbeKind } from './prober.js';
import { ProcessGroup, type GroupExit } from './process-group.js';

/** One run of the container's program, which is what a container ID names. */
interface Instance {
  index: number;
  containerID: string;
  logFile: string;
}

interface Run {
  instance: Instance;
  group: ProcessGroup;
  log: ContainerLog;
  env: Record<string, string>;
  cwd: string;
  startedAt: string;
  startedMs: number;
  probes: ProbeWorker[];
  /** Why the kubelet ended this run, when it did. */
  killedFor?: 'OOMKilled' | 'liveness' | 'startup' | 'definition' | 'stop';
  killTimer?: TimerHandle;
  killDeadline?: number;
}

export interface ContainerUsageSample {
  cpu: number;
  memory: number;
}

export class ContainerWorker {
  spec: Container;
  private image: ResolvedImage | undefined;
  private imageError: string | undefined;
  private restartCount = 0;
  private started = 0;
  private state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  private lastState: ContainerState = {};
  /** The instance the current state is about (running or terminated); none while waiting. */
  private stateInstance: Instance | undefined;
  /** The instance lastState is about. */
  private lastStateInstance: Instance | undefined;
  private ready = false;
  private startedFlag = false;
  private run: Run | undefined;
  private restartTimer: TimerHandle | undefined;
  private readonly backoff: CrashLoopBackoff;
  private stopping = false;
  private stopWaiters: (() => void)[] = [];
  private releasing: Promise<void> = Promise.resolve();
  usage: ContainerUsageSample = { cpu: 0, memory: 0 };

  constructor(
    private readonly ctx: PodContext,
    spec: Container,
  ) {
    this.spec = spec;
    const t = ctx.timing();
    this.backoff = new CrashLoopBackoff({ initialMs: t.crashLoopBackOffInitialMs, maxMs: t.crashLoopBackOffMaxMs, resetMs: t.crashLoopBackOffResetMs });
    this.resolveImage();
  }

  get name(): string {
    return this.spec.name;
  }

  /** The pid of the running program (its process group id), if it runs. */
  get pid(): number | undefined {
    return this.run?.group.pid;
  }

  get memoryLimit(): number {
    return parseBytes(this.spec.resources?.limits?.memory);
  }

  /** The log file of the instance `kubectl logs` (previous or not) would show, or a kubectl-style error. */
  logFileFor(previous: boolean, podName: string): { file: string; live?: ContainerLog } | { error: string } {
    const c = this.name;
    if (previous) {
      if (!this.lastState.terminated || !this.lastStateInstance) return { error: `previous terminated container "${c}" in pod "${podName}" not found` };
      return { file: this.lastStateInstance.logFile };
    }
    if (this.state.running || this.state.terminated) {
      const inst = this.stateInstance;
      if (!inst) return { error: `container "${c}" in pod "${podName}" is terminated` };
      return { file: inst.logFile, ...(this.run && this.run.instance === inst && !this.run.log.closed ? { live: this.run.log } : {}) };
    }
    if (this.lastState.terminated && this.lastStateInstance) return { file: this.lastStateInstance.logFile };
    const reason = this.state.waiting?.reason;
    if (reason === 'ErrImagePull') return { error: `container "${c}" in pod "${podName}" is waiting to start: image can't be pulled` };
    if (reason) return { error: `container "${c}" in pod "${podName}" is waiting to start: ${reason}` };
    return { error: `container "${c}" in pod "${podName}" is waiting to start - no logs yet` };
  }

  status(): ContainerStatus {
    const s: ContainerStatus = {
      name: this.name,
      state: this.state,
      lastState: this.lastState,
      ready: this.ready,
      restartCount: this.restartCount,
      image: this.spec.image ?? '',
      imageID: this.spec.image ? (this.image?.imageID ?? '') : this.started > 0 ? 'kip://command' : '',
      started: this.startedFlag,
    };
    const id = this.stateInstance?.containerID ?? this.lastStateInstance?.containerID;
    if (id) s.containerID = id;
    return s;
  }

  private resolveImage(): void {
    this.image = undefined;
    this.imageError = undefined;
    if (!this.spec.image) return;
    try {
      this.image = resolveImage(this.spec.image);
    } catch (err) {
      if (!(err instanceof ImagePullError)) throw err;
      this.imageError = err.message;
    }
  }

  /** Starts the container for the first time. */
  start(): void {
    if (this.imageError) {
      this.state = { waiting: { reason: 'ErrImagePull', message: `Failed to pull image "${this.spec.image}": ${this.imageError}` } };
      this.ctx.event('Warning', 'Failed', `Failed to pull image "${this.spec.image}": ${this.imageError}`, this.name);
      this.ctx.event('Warning', 'Failed', 'Error: ErrImagePull', this.name);
      this.ctx.log.warn('image pull failed', { pod: this.ctx.podKey, container: this.name, image: this.spec.image });
      this.ctx.changed();
      return;
    }
    this.launch();
  }

  /** The pod object changed: a container whose definition changed is restarted with the new one. */
  update(spec: Container): void {
    if (JSON.stringify(spec) === JSON.stringify(this.spec)) return;
    const imageChanged = spec.image !== this.spec.image;
    this.spec = spec;
    if (imageChanged) this.resolveImage();
    if (this.stopping) return;
    if (this.run) {
      this.kill('definition', `Container ${this.name} definition changed, will be restarted`);
    } else if (this.state.waiting?.reason === 'ErrImagePull') {
      this.start();
    }
  }

  private launch(): void {
    this.restartTimer = undefined;
    if (this.stopping) return;
    const index = this.started;
    const logFile = containerLogPath(this.ctx.podDir, this.name, index);
    this.pruneLogs(index);
    let env: Record<string, string> = {};
    let cwd = this.ctx.podDir;
    let log: ContainerLog | undefined;
    let group: ProcessGroup;
    try {
      env = this.ctx.env(this.spec);
      cwd = workingDirOf(this.spec, this.ctx.podDir);
      fs.mkdirSync(cwd, { recursive: true });
      const argv = containerArgv(this.spec, this.image, env);
      argv[0] = lookPath(argv[0] ?? '', env.PATH ?? '', cwd);
      log = new ContainerLog(logFile, undefined, (err) => this.ctx.log.warn('cannot write container log', { pod: this.ctx.podKey, container: this.name, error: err.message }));
      if (this.image) this.ctx.event('Normal', 'Pulled', `Container image "${this.spec.image}" already present on machine`, this.name);
      group = ProcessGroup.spawn({ argv, env, cwd }, this.ctx.groups);
    } catch (err) {
      log?.close();
      this.startFailed(index, logFile, (err as Error).message);
      return;
    }
    this.started++;
    this.restartCount = index;
    const instance: Instance = { index, containerID: `kip://${group.pid}`, logFile };
    const now = this.ctx.clock.now();
    const run: Run = { instance, group, log, env, cwd, startedAt: isoNow(this.ctx.clock), startedMs: now, probes: [] };
    this.run = run;
    this.stateInstance = instance;
    this.state = { running: { startedAt: run.startedAt } };
    this.startedFlag = !this.spec.startupProbe;
    this.ready = false;
    const sink = log;
    group.stdout.on('data', (d: Buffer) => sink.write(d));
    group.stderr.on('data', (d: Buffer) => sink.write(d));
    this.ctx.event('Normal', 'Created', `Created container ${this.name}`, this.name);
    this.ctx.event('Normal', 'Started', `Started container ${this.name}`, this.name);
    this.ctx.log.info('container started', { pod: this.ctx.podKey, container: this.name, pid: group.pid, restartCount: index });
    if (this.spec.startupProbe) this.startProbe(run, 'startup');
    else this.startRunningProbes(run);
    void group.exited.then((exit) => this.exited(run, exit));
    this.ctx.changed();
  }

  /** The program could not be started at all: a run that ended at once with exit code 128, as runtimes report it. */
  private startFailed(index: number, logFile: string, message: string): void {
    this.started++;
    this.restartCount = index;
    const at = isoNow(this.ctx.clock);
    try {
      // `kubectl logs` of a run that never started shows nothing, not an error.
      fs.mkdirSync(containerLogDir(this.ctx.podDir, this.name), { recursive: true });
      fs.writeFileSync(logFile, '');
    } catch {
      // the pod directory itself is unusable; the start error says enough
    }
    this.stateInstance = { index, containerID: '', logFile };
    this.ctx.event('Warning', 'Failed', `Error: failed to start container "${this.name}": ${message}`, this.name);
    this.ctx.log.warn('container failed to start', { pod: this.ctx.podKey, container: this.name, error: message });
    this.finished({ exitCode: 128, reason: 'StartError', message, startedAt: at, finishedAt: at }, 0, false);
  }

  private exited(run: Run, exit: GroupExit): void {
    for (const p of run.probes) p.stop();
    this.ctx.clock.clearTimeout(run.killTimer);
    this.run = undefined;
    this.usage = { cpu: 0, memory: 0 };
    const oom = run.killedFor === 'OOMKilled';
    const exitCode = oom ? 137 : exit.exitCode;
    const terminated: ContainerStateTerminated = {
      exitCode,
      reason: oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
      startedAt: run.startedAt,
      finishedAt: isoNow(this.ctx.clock),
    };
    this.ctx.log.info('container exited', { pod: this.ctx.podKey, container: this.name, pid: run.group.pid, exitCode, reason: terminated.reason });
    // The program is gone; what it left in its group is killed now, and the log closes when its pipes drain.
    this.releasing = run.group.release().then(() => run.log.close());
    const ranMs = this.ctx.clock.now() - run.startedMs;
    this.finished(terminated, ranMs, run.killedFor === 'definition');
  }

  /** A run ended: record it, then restart it now, later (back-off) or never, by the pod's restartPolicy. */
  private finished(terminated: ContainerStateTerminated, ranMs: number, forceRestart: boolean): void {
    this.state = { terminated };
    this.ready = false;
    this.startedFlag = false;
    this.ctx.changed();
    if (this.stopping) {
      void this.releasing.then(() => this.notifyStopped());
      return;
    }
    if (!forceRestart && !shouldRestart(this.ctx.pod.spec.restartPolicy, terminated.exitCode)) return;
    const t = this.ctx.timing();
    this.backoff.update({ initialMs: t.crashLoopBackOffInitialMs, maxMs: t.crashLoopBackOffMaxMs, resetMs: t.crashLoopBackOffResetMs });
    const delay = forceRestart ? 0 : this.backoff.nextDelay(ranMs);
    this.lastState = { terminated };
    this.lastStateInstance = this.stateInstance;
    // The old group must be gone before the new run binds the same host ports.
    const restart = () => void this.releasing.then(() => this.launch());
    if (delay === 0) {
      restart();
      return;
    }
    this.stateInstance = undefined;
    const message = backOffMessage(delay, this.name, formatPod(this.ctx.pod));
    this.state = { waiting: { reason: 'CrashLoopBackOff', message } };
    this.ctx.event('Warning', 'BackOff', `Back-off restarting failed container ${this.name} in pod ${formatPod(this.ctx.pod)}`, this.name);
    this.ctx.log.debug('container back-off', { pod: this.ctx.podKey, container: this.name, delayMs: delay });
    this.restartTimer = this.ctx.clock.setTimeout(restart, delay);
    this.ctx.changed();
  }

  private startProbe(run: Run, kind: ProbeKind): void {
    const probe = kind === 'liveness' ? this.spec.livenessProbe : kind === 'readiness' ? this.spec.readinessProbe : this.spec.startupProbe;
    if (!probe) return;
    const target = { container: this.spec, hostPorts: this.ctx.hostPorts, env: run.env, cwd: run.cwd, groups: this.ctx.groups };
    const worker = new ProbeWorker(kind, probe, () => runProbe(probe, target, this.ctx.podIP), this.ctx.clock, {
      attemptFailed: (k, message) => {
        if (this.run !== run) return;
        this.ctx.event('Warning', 'Unhealthy', `${PROBE_TITLE[k]} probe failed: ${message}`, this.name);
        this.ctx.log.debug('probe failed', { pod: this.ctx.podKey, container: this.name, probe: k, message });
      },
      changed: (k, ok) => {
        if (this.run !== run) return;
        this.probeChanged(run, k, ok);
      },
    });
    run.probes.push(worker);
    worker.start();
  }

  private startRunningProbes(run: Run): void {
    this.startedFlag = true;
    if (!this.spec.readinessProbe) this.ready = true;
    this.startProbe(run, 'liveness');
    this.startProbe(run, 'readiness');
  }

  private probeChanged(run: Run, kind: ProbeKind, ok: boolean): void {
    switch (kind) {
      case 'startup':
        if (ok) {
          this.startRunningProbes(run);
          this.ctx.changed();
        } else this.kill('startup', `Container ${this.name} failed startup probe, will be restarted`);
        break;
      case 'liveness':
        if (!ok) this.kill('liveness', `Container ${this.name} failed liveness probe, will be restarted`);
        break;
      case 'readiness':
        if (this.ready !== ok) {
          this.ready = ok && this.startedFlag;
          this.ctx.log.debug(ok ? 'container ready' : 'container not ready', { pod: this.ctx.podKey, container: this.name });
          this.ctx.changed();
        }
        break;
    }
  }

  /** Ends the current run: SIGTERM to its group, SIGKILL when the grace period is over. */
  private kill(why: NonNullable<Run['killedFor']>, message: string, graceMs = specGracePeriodMs(this.ctx.pod)): void {
    const run = this.run;
    if (!run) return;
    run.killedFor ??= why;
    for (const p of run.probes) p.stop();
    const deadline = this.ctx.clock.now() + graceMs;
    if (run.killDeadline !== undefined && run.killDeadline <= deadline) return;
    const first = run.killDeadline === undefined;
    run.killDeadline = deadline;
    if (first) {
      this.ctx.event('Normal', 'Killing', message, this.name);
      this.ctx.log.debug('stopping container', { pod: this.ctx.podKey, container: this.name, pid: run.group.pid, reason: why, graceSeconds: graceMs / 1000 });
      run.group.signal('SIGTERM');
    }
    this.ctx.clock.clearTimeout(run.killTimer);
    run.killTimer = this.ctx.clock.setTimeout(() => {
      if (this.run === run) {
        this.ctx.log.info('grace period over, killing container', { pod: this.ctx.podKey, container: this.name, pid: run.group.pid });
        run.group.signal('SIGKILL');
      }
    }, graceMs);
  }

  /** Memory above the limit: the kernel's OOM killer, done by the kubelet. */
  oomKill(memory: number): void {
    const run = this.run;
    if (!run || run.killedFor === 'OOMKilled') return;
    run.killedFor = 'OOMKilled';
    this.ctx.log.warn('container over its memory limit, killed', { pod: this.ctx.podKey, container: this.name, pid: run.group.pid, memory, limit: this.memoryLimit });
    run.group.signal('SIGKILL');
  }

  /** Stops the container for good (the pod is going away); resolves when its process group is gone. */
  stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) {
      this.ctx.clock.clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    if (this.run) {
      const p = new Promise<void>((resolve) => this.stopWaiters.push(resolve));
      this.kill('stop', `Stopping container ${this.name}`, graceMs);
      return p;
    }
    this.settleWaiting();
    return this.releasing;
  }

  /** Stops the container now with SIGKILL (the pod was removed from the store). */
  killNow(): Promise<void> {
    const p = this.stop(0);
    this.run?.group.signal('SIGKILL');
    return p;
  }

  /** A container that will never run again shows its last run, or that it never ran. */
  private settleWaiting(): void {
    if (!this.state.waiting) return;
    if (this.lastState.terminated) {
      this.state = this.lastState;
      this.stateInstance = this.lastStateInstance;
      this.lastState = {};
      this.lastStateInstance = undefined;
    } else {
      this.state = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } };
    }
    this.ctx.changed();
  }

  private notifyStopped(): void {
    const waiters = this.stopWaiters;
    this.stopWaiters = [];
    for (const w of waiters) w();
  }

  /** Only the instances that state and lastState name keep their logs, as `kubectl logs [--previous]` needs. */
  private pruneLogs(next: number): void {
    const keep = new Set([this.stateInstance?.index, this.lastStateInstance?.index, next]);
    // Older instances were pruned when their successors started.
    for (let i = Math.max(0, next - 3); i < next; i++) if (!keep.has(i)) removeLog(containerLogPath(this.ctx.podDir, this.name, i));
  }
}
