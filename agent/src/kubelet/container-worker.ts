// One container of a pod, over its whole life. What happens next is decided by `step` in
// container-lifecycle.ts; this worker is the shell around it: it spawns the program, signals it,
// keeps its log and probes, sets the timers, and feeds every outcome (exit, probe flip, timer)
// back as an event.

import fs from 'node:fs';
import { isSidecar, jsonEqual, parseBytes, parseCpuMillis } from '@kip/shared';
import type { Container, ContainerStatus, Probe, TimerHandle } from '@kip/shared';
import { ImagePullError, imageHostDirs, resolveImage, type ResolvedImage } from '../images/registry.js';
import { imageProgram, imageRunEnv } from '../images/run.js';
import { containerArgv, lookPath } from './command.js';
import {
  resumedLifecycle,
  initRestartPolicy,
  step,
  type ContainerLifecycle,
  type LifecycleAction,
  type LifecycleEnv,
  type LifecycleEvent,
  type Hook,
  type Timer,
} from './container-lifecycle.js';
import { ContainerLog, containerLogDir, containerLogPath, removeLog } from './container-logs.js';
import { formatPod } from './crash-backoff.js';
import { workingDirOf } from './env.js';
import { ContainerConfigError } from './env-sources.js';
import { specGracePeriodMs, type PodContext } from './pod-context.js';
import { PROBE_TITLE, ProbeWorker, type ProbeKind } from './prober.js';
import type { ContainerProcess } from './process-group.js';
import type { ExecHandle, ExecSink } from './exec.js';
import { sandboxEntered, podHostname, prepareSandbox, sandboxArgv, sandboxExecArgv, type SandboxSpec } from './sandbox.js';
import type { ProbeTarget } from './probe-handlers.js';
import { readTerminationMessage } from './termination-message.js';

/** The I/O side of the live run: what the lifecycle's Run is not. */
interface LiveRun {
  index: number;
  group: ContainerProcess;
  log: ContainerLog;
  env: Record<string, string>;
  cwd: string;
  probes: ProbeWorker[];
  /** The run is in a sandbox of its own: commands run in its namespaces. */
  sandboxed: boolean;
  /** The run's sandbox, where its files are found. */
  sandbox?: SandboxSpec;
  /** Resolves once the program is in its sandbox: commands entered into it wait for that. */
  entered: Promise<void>;
  /** Lets the run go from its CPU limit's throttle. */
  unlimit: () => void;
  /** The `kubectl attach` sessions joined to this run: each gets its output from then on. */
  attached: Set<ExecSink>;
}

/** Resolves when the stream has ended, or after ms, whichever is first (a grandchild may hold a pipe open). */
function ended(stream: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }, ms: number): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
  });
}

export interface ContainerUsageSample {
  cpu: number;
  memory: number;
}

export class ContainerWorker {
  spec: Container;
  private image: ResolvedImage | undefined;
  private imageError: string | undefined;
  private lifecycle: ContainerLifecycle;
  private live: LiveRun | undefined;
  private readonly timers = new Map<Timer, TimerHandle>();
  /** Events that arrived while actions were being performed, handled in order after them. */
  private readonly inbox: LifecycleEvent[] = [];
  private stepping = false;
  private readonly stopped: Promise<void>;
  private markStopped!: () => void;
  usage: ContainerUsageSample = { cpu: 0, memory: 0 };

  constructor(
    private readonly ctx: PodContext,
    spec: Container,
    /** An init container runs to completion before the pod's containers start. */
    readonly init = false,
    /** The pod has init containers: a container waits for them as PodInitializing. */
    podInitializing = false,
    /** Its status as stored: it ran here under an earlier agent process, and starts again as a restart. */
    previous?: ContainerStatus,
  ) {
    this.spec = spec;
    this.lifecycle = resumedLifecycle(init || podInitializing ? 'PodInitializing' : 'ContainerCreating', previous);
    this.stopped = new Promise((resolve) => (this.markStopped = resolve));
    this.resolveImage();
  }

  get name(): string {
    return this.spec.name;
  }

  /** An init container that keeps running beside the containers (restartPolicy Always). */
  get sidecar(): boolean {
    return this.init && isSidecar(this.spec);
  }

  /** Running and past its startup probe: what the init container after a sidecar waits for. */
  get started(): boolean {
    return this.lifecycle.phase === 'Running' && this.lifecycle.started;
  }

  /** The ports the container's image listens on by default (its EXPOSE). */
  get exposedPorts(): readonly number[] {
    return this.image?.ports ?? [];
  }

  /** The pid of the running program (its process group id), if it runs. */
  get pid(): number | undefined {
    return this.live?.group.pid;
  }

  /**
   * Whether the container runs in a sandbox of its own: wherever the node can make one, except for
   * `pause`, which writes nothing and is the one container a hundred-pod node has a hundred of.
   */
  get sandboxed(): boolean {
    return this.ctx.sandbox.available && this.image?.name !== 'pause';
  }

  get memoryLimit(): number {
    return parseBytes(this.spec.resources?.limits?.memory);
  }

  /** resources.limits.cpu in millicores; 0 when unlimited. */
  get cpuLimit(): number {
    return parseCpuMillis(this.spec.resources?.limits?.cpu);
  }

  /** It ran to completion (exit 0) and will not run again: what the next init container waits for. */
  get completed(): boolean {
    return this.lifecycle.phase === 'Terminated' && this.lifecycle.state.terminated?.exitCode === 0;
  }

  /** Where the container is in its life, for tests and debugging. */
  get phase(): ContainerLifecycle['phase'] {
    return this.lifecycle.phase;
  }

  /** The log file of the instance `kubectl logs` (previous or not) would show, or a kubectl-style error. */
  logFileFor(previous: boolean, podName: string): { file: string; live?: ContainerLog } | { error: string } {
    const c = this.name;
    const { state, lastState, stateInstance, lastStateInstance } = this.lifecycle;
    const fileOf = (index: number) => containerLogPath(this.ctx.podDir, c, index);
    if (previous) {
      if (!lastState.terminated || !lastStateInstance) return { error: `previous terminated container "${c}" in pod "${podName}" not found` };
      return { file: fileOf(lastStateInstance.index) };
    }
    if (state.running || state.terminated) {
      if (!stateInstance) return { error: `container "${c}" in pod "${podName}" is terminated` };
      const live = this.live;
      return { file: fileOf(stateInstance.index), ...(live && live.index === stateInstance.index && !live.log.closed ? { live: live.log } : {}) };
    }
    if (lastState.terminated && lastStateInstance) return { file: fileOf(lastStateInstance.index) };
    const reason = state.waiting?.reason;
    if (reason === 'ErrImagePull') return { error: `container "${c}" in pod "${podName}" is waiting to start: image can't be pulled` };
    if (reason) return { error: `container "${c}" in pod "${podName}" is waiting to start: ${reason}` };
    return { error: `container "${c}" in pod "${podName}" is waiting to start - no logs yet` };
  }

  status(): ContainerStatus {
    const l = this.lifecycle;
    const s: ContainerStatus = {
      name: this.name,
      state: l.state,
      lastState: l.lastState,
      ready: l.ready,
      restartCount: l.restartCount,
      image: this.spec.image ?? '',
      imageID: this.spec.image ? (this.image?.imageID ?? '') : l.runs > 0 ? 'kip://command' : '',
      started: l.started,
    };
    const id = l.stateInstance?.containerID ?? l.lastStateInstance?.containerID;
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
    this.dispatch({ type: 'start', imageError: this.imageError });
  }

  /** The pod object changed: a container whose definition changed is restarted with the new one. */
  update(spec: Container): void {
    if (jsonEqual(spec, this.spec)) return;
    const imageChanged = spec.image !== this.spec.image;
    this.spec = spec;
    if (imageChanged) this.resolveImage();
    this.dispatch({ type: 'specChanged', imageError: this.imageError });
  }

  /** A ConfigMap or Secret the pod uses changed: a start waiting for its config tries again now. */
  configChanged(): void {
    this.dispatch({ type: 'configRetry' });
  }

  /** Memory above the limit: the kernel's OOM killer, done by the kubelet. */
  oomKill(memory: number): void {
    if (this.live) this.dispatch({ type: 'overMemory', index: this.live.index, memory, limit: this.memoryLimit });
  }

  /** Stops the container for good (the pod is going away); resolves when its process group is gone. */
  stop(graceMs: number): Promise<void> {
    this.dispatch({ type: 'stop', graceMs });
    return this.stopped;
  }

  /** Stops the container now with SIGKILL (the pod was removed from the store). */
  killNow(): Promise<void> {
    this.dispatch({ type: 'stop', graceMs: 0, now: true });
    return this.stopped;
  }

  // ---- the shell -------------------------------------------------------------------------------

  private dispatch(ev: LifecycleEvent): void {
    this.inbox.push(ev);
    if (this.stepping) return;
    this.stepping = true;
    try {
      for (let next = this.inbox.shift(); next; next = this.inbox.shift()) {
        const { state, actions } = step(this.lifecycle, next, this.env());
        this.lifecycle = state;
        for (const a of actions) this.perform(a);
      }
    } finally {
      this.stepping = false;
    }
  }

  private env(): LifecycleEnv {
    const t = this.ctx.timing();
    return {
      now: this.ctx.clock.now(),
      container: this.name,
      pod: formatPod(this.ctx.pod),
      image: this.spec.image,
      restartPolicy: this.sidecar ? 'Always' : this.init ? initRestartPolicy(this.ctx.pod.spec.restartPolicy) : this.ctx.pod.spec.restartPolicy,
      backOff: { initialMs: t.crashLoopBackOffInitialMs, maxMs: t.crashLoopBackOffMaxMs, resetMs: t.crashLoopBackOffResetMs },
      graceMs: specGracePeriodMs(this.ctx.pod),
      hasStartupProbe: !!this.spec.startupProbe,
      hasReadinessProbe: !!this.spec.readinessProbe,
      hasPostStart: !!this.spec.lifecycle?.postStart,
      hasPreStop: !!this.spec.lifecycle?.preStop,
    };
  }

  private perform(a: LifecycleAction): void {
    switch (a.type) {
      case 'spawn':
        return this.launch();
      case 'signal':
        this.live?.group.signal(a.signal);
        return;
      case 'release':
        return this.release();
      case 'setTimer': {
        this.clearTimer(a.timer);
        const index = this.live?.index ?? -1;
        const fire: LifecycleEvent =
          a.timer === 'grace' ? { type: 'graceOver', index } : a.timer === 'configRetry' ? { type: 'configRetry' } : { type: 'backOffOver' };
        this.timers.set(
          a.timer,
          this.ctx.clock.setTimeout(() => {
            this.timers.delete(a.timer);
            this.dispatch(fire);
          }, a.ms),
        );
        return;
      }
      case 'clearTimer':
        return this.clearTimer(a.timer);
      case 'startProbes': {
        const live = this.live;
        if (live)
          this.whenEntered(live, () => {
            // A run being killed meanwhile (the pod deleted as it started) is probed no more.
            if (this.live === live && this.lifecycle.phase === 'Running') for (const kind of a.kinds) this.startProbe(live, kind);
          });
        return;
      }
      case 'runHook': {
        const live = this.live;
        if (live?.index === a.index) this.whenEntered(live, () => this.runHook(live, a.hook, a.timeoutMs));
        return;
      }
      case 'stopProbes':
        for (const p of this.live?.probes ?? []) p.stop();
        return;
      case 'event':
        return this.ctx.event(a.eventType, a.reason, a.message, this.name);
      case 'log':
        return this.ctx.log[a.level](a.message, { pod: this.ctx.podKey, ...a.fields });
      case 'report':
        return this.ctx.changed();
      case 'stopped':
        return this.markStopped();
    }
  }

  /**
   * How to run a command where the live run is, for an exec into the container: inside its
   * namespaces when it has a sandbox. Undefined when the container does not run.
   */
  commandInside(command: string[]): { argv: string[]; env: Record<string, string>; cwd: string } | undefined {
    const live = this.live;
    if (!live) return undefined;
    return { argv: this.commandArgv(live, command), env: live.env, cwd: live.sandboxed ? this.ctx.podDir : live.cwd };
  }

  /** Runs fn once the run is in its sandbox: at once on the bare host. */
  private whenEntered(live: LiveRun, fn: () => void): void {
    if (live.sandboxed) void live.entered.then(fn);
    else fn();
  }

  private clearTimer(timer: Timer): void {
    this.ctx.clock.clearTimeout(this.timers.get(timer));
    this.timers.delete(timer);
  }

  private launch(): void {
    const index = this.lifecycle.runs;
    const logFile = containerLogPath(this.ctx.podDir, this.name, index);
    this.pruneLogs(index);
    let live: LiveRun;
    let log: ContainerLog | undefined;
    try {
      const env = imageRunEnv(this.image, this.ctx.env(this.spec), this.spec, this.ctx.hostPorts);
      const cwd = workingDirOf(this.spec, this.ctx.podDir);
      const sandbox = this.sandboxSpec(cwd);
      // In a sandbox the working directory is made inside it, not on the host.
      if (!sandbox) fs.mkdirSync(cwd, { recursive: true });
      let argv = containerArgv(this.spec, this.image, env);
      argv[0] = lookPath(imageProgram(this.image, argv[0] ?? ''), env.PATH ?? '', sandbox && !fs.existsSync(cwd) ? this.ctx.podDir : cwd);
      if (sandbox) {
        prepareSandbox(sandbox);
        argv = sandboxArgv(sandbox, argv);
      }
      log = new ContainerLog(logFile, undefined, (err) =>
        this.ctx.log.warn('cannot write container log', { pod: this.ctx.podKey, container: this.name, error: err.message }),
      );
      if (this.image) this.ctx.event('Normal', 'Pulled', `Container image "${this.spec.image}" already present on machine`, this.name);
      live = {
        index,
        // stdin: true keeps a pipe open for `kubectl attach -i`, as a runtime keeps the container's stdin.
        group: this.ctx.spawn({ argv, env, cwd: sandbox ? this.ctx.podDir : cwd, stdin: this.spec.stdin === true }),
        log,
        env,
        cwd,
        probes: [],
        sandboxed: !!sandbox,
        ...(sandbox ? { sandbox } : {}),
        entered: Promise.resolve(),
        unlimit: () => undefined,
        attached: new Set(),
      };
    } catch (err) {
      log?.close();
      if (err instanceof ContainerConfigError) {
        // Nothing was started: no run, no log.
        this.dispatch({ type: 'configFailed', message: err.message });
        return;
      }
      try {
        // `kubectl logs` of a run that never started shows nothing, not an error.
        fs.mkdirSync(containerLogDir(this.ctx.podDir, this.name), { recursive: true });
        fs.writeFileSync(logFile, '');
      } catch {
        // the pod directory itself is unusable; the start error says enough
      }
      this.dispatch({ type: 'spawnFailed', message: (err as Error).message });
      return;
    }
    this.live = live;
    const { group } = live;
    if (this.cpuLimit > 0) live.unlimit = this.ctx.limitCpu(group, this.cpuLimit);
    if (live.sandboxed) live.entered = sandboxEntered(group.pid);
    group.stdin?.on('error', () => undefined);
    group.stdout.on('data', (d: Buffer) => {
      live.log.write(d);
      for (const a of live.attached) a.output(1, d);
    });
    group.stderr.on('data', (d: Buffer) => {
      live.log.write(d);
      for (const a of live.attached) a.output(2, d);
    });
    // Attached clients hear the run's last words, then its end.
    void group.exited.then(async (exit) => {
      if (live.attached.size === 0) return;
      await Promise.all([ended(group.stdout, 500), ended(group.stderr, 500)]);
      for (const a of live.attached) a.exit({ exitCode: exit.exitCode });
      live.attached.clear();
    });
    void group.exited
      .then(async (exit) => ({ exit, message: await this.terminationMessage(live, exit.exitCode) }))
      .then(({ exit, message }) => this.dispatch({ type: 'exited', index, exitCode: exit.exitCode, ...(message ? { message } : {}) }));
    this.dispatch({ type: 'spawned', pid: group.pid });
  }

  private sandboxSpec(cwd: string): SandboxSpec | undefined {
    const support = this.ctx.sandbox;
    if (!support.available || !this.sandboxed) return undefined;
    return {
      podDir: this.ctx.podDir,
      container: this.name,
      hostname: podHostname(this.ctx.pod),
      cwd,
      mounts: this.ctx.mounts(this.spec),
      // The image's programs may live under a directory the sandbox replaces (a data dir in /tmp).
      hostDirs: imageHostDirs(),
      layout: support.layout,
    };
  }

  /**
   * `kubectl attach`: the sink gets the running program's output from now on and, with stdin, feeds
   * its stdin. Detaching leaves the program running; with stdinOnce, the end of the first attach
   * that used stdin closes the program's stdin, as a container runtime does.
   */
  attach(withStdin: boolean, sink: ExecSink): ExecHandle {
    const live = this.live;
    if (!live) {
      sink.exit({ error: `container ${this.name} is not running` });
      return { input: () => undefined, eof: () => undefined, cancel: () => undefined };
    }
    live.attached.add(sink);
    const stdin = withStdin ? live.group.stdin : undefined;
    const closeOnce = () => {
      if (stdin && this.spec.stdinOnce && !stdin.writableEnded) stdin.end();
    };
    return {
      input: (data) => {
        if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.write(data);
      },
      eof: closeOnce,
      cancel: () => {
        live.attached.delete(sink);
        closeOnce();
      },
    };
  }

  /** The argv that runs a command where the live run is: in its sandbox when it has one (exec probes, hooks). */
  private commandArgv(live: LiveRun, command: string[]): string[] {
    const support = this.ctx.sandbox;
    if (!live.sandboxed || !support.available) return command;
    return sandboxExecArgv(support.layout.nsenter, live.group.pid, live.cwd, command);
  }

  /** What the run left as its termination message (termination-message.ts). */
  private terminationMessage(live: LiveRun, exitCode: number): Promise<string> {
    return readTerminationMessage({
      container: this.spec,
      exitCode,
      podDir: this.ctx.podDir,
      ...(live.sandbox ? { sandbox: live.sandbox } : {}),
      logFile: live.log.file,
      output: [live.group.stdout, live.group.stderr],
    });
  }

  /** Runs a postStart or preStop hook against the live run, and says how it went. */
  private runHook(live: LiveRun, hook: Hook, timeoutMs: number): void {
    const handler = this.spec.lifecycle?.[hook];
    const done = (ok: boolean, message?: string) => this.dispatch({ type: 'hookDone', index: live.index, hook, ok, ...(message ? { message } : {}) });
    if (!handler) return done(true);
    if (handler.sleep) {
      this.ctx.clock.setTimeout(() => done(true), Math.min(handler.sleep.seconds * 1000, timeoutMs));
      return;
    }
    const probe: Probe = handler.exec ? { exec: handler.exec } : { httpGet: handler.httpGet! };
    probe.timeoutSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const what = handler.exec ? `Exec lifecycle hook (${JSON.stringify(handler.exec.command)})` : `HTTP lifecycle hook (${handler.httpGet?.path ?? '/'})`;
    void this.ctx
      .probe(probe, this.probeTarget(live))
      .then((r) => done(r.ok, r.ok ? undefined : `${what} for Container "${this.name}" in Pod "${formatPod(this.ctx.pod)}" failed - error: ${r.message}`));
  }

  private probeTarget(live: LiveRun): ProbeTarget {
    return {
      container: this.spec,
      hostPorts: this.ctx.hostPorts,
      env: live.env,
      cwd: live.sandboxed ? this.ctx.podDir : live.cwd,
      groups: this.ctx.groups,
      execArgv: (command: string[]) => this.commandArgv(live, command),
    };
  }

  /** The run has exited: what it left in its group is killed, and its log closes once its pipes drain. */
  private release(): void {
    const live = this.live;
    if (!live) return;
    this.live = undefined;
    this.usage = { cpu: 0, memory: 0 };
    live.unlimit();
    void live.group
      .release()
      .then(() => live.log.close())
      .then(() => this.dispatch({ type: 'released' }));
  }

  private startProbe(live: LiveRun, kind: ProbeKind): void {
    const probe = kind === 'liveness' ? this.spec.livenessProbe : kind === 'readiness' ? this.spec.readinessProbe : this.spec.startupProbe;
    if (!probe) return;
    const target = this.probeTarget(live);
    const worker = new ProbeWorker(kind, probe, () => this.ctx.probe(probe, target), this.ctx.clock, {
      attemptFailed: (k, message) => {
        if (this.live !== live) return;
        this.ctx.event('Warning', 'Unhealthy', `${PROBE_TITLE[k]} probe failed: ${message}`, this.name);
        this.ctx.log.debug('probe failed', { pod: this.ctx.podKey, container: this.name, probe: k, message });
      },
      changed: (k, ok) => {
        if (this.live === live) this.dispatch({ type: 'probe', index: live.index, kind: k, ok });
      },
    });
    live.probes.push(worker);
    worker.start();
  }

  /** Only the instances that state and lastState name keep their logs, as `kubectl logs [--previous]` needs. */
  private pruneLogs(next: number): void {
    const keep = new Set([this.lifecycle.stateInstance?.index, this.lifecycle.lastStateInstance?.index, next]);
    // Older instances were pruned when their successors started.
    for (let i = Math.max(0, next - 3); i < next; i++) if (!keep.has(i)) removeLog(containerLogPath(this.ctx.podDir, this.name, i));
  }
}
