// The life of one container as a state machine: `step` takes the container's state and what
// happened, and returns the next state and what to do about it (spawn, signal, set a timer, report
// the status). It does no I/O and reads no clock, so every transition is a plain function call in a
// test; the container worker performs the actions and feeds back what comes of them.
//
//   Waiting    start -> Starting; an image that cannot be pulled stays Waiting (ErrImagePull)
//              until the definition changes
//   Starting   spawned -> Running; spawnFailed ends the run at once (StartError); configFailed (a
//              ConfigMap or Secret it needs is missing) -> Waiting (CreateContainerConfigError),
//              retried by configRetry (a timer, or the config arriving)
//   Running    a failed liveness or startup probe, a new definition -> Killing (SIGTERM, SIGKILL
//              when the grace period is over); over its memory limit -> Killing (SIGKILL)
//              A postStart hook runs as the run starts; if it fails, the run is killed.
//              A preStop hook runs before the SIGTERM of a kill, within the grace period.
//   Running, Killing   exited -> the restart policy decides
//   BackOff    backOffOver -> Starting
//   Stopping   exited -> Terminated
//   any        stop -> Stopping while a run is live, else Terminated
//
// The restart policy decides: now -> Starting, later -> BackOff (CrashLoopBackOff's delay), never
// -> Terminated. A run ended for a new definition starts again at once, whatever the policy.
// Starting spawns only once the last run's processes are gone: they may still hold its host ports.
//
// The state also holds what `kubectl get pod -o yaml` shows of the container (state, lastState,
// restartCount, ready, started), kept as the kubelet keeps them, so that the status is a read.

import { isoTime } from '@kip/shared';
import type { ContainerState, ContainerStateTerminated, ContainerStatus, RestartPolicy } from '@kip/shared';
import { backOffMessage, crashLoopDelay, shouldRestart, type CrashLoopSettings } from './crash-backoff.js';
import type { ProbeKind } from './prober.js';

export type Phase =
  /** Not started: the pod's sandbox is being set up, or the image cannot be pulled. */
  | 'Waiting'
  /** To start as soon as the last run's processes are gone (they may hold its host ports). */
  | 'Starting'
  | 'Running'
  /** The run is being ended so that the container restarts (probe failure, OOM, new definition). */
  | 'Killing'
  /** The run is being ended for good: the pod is going away. */
  | 'Stopping'
  /** Waiting out CrashLoopBackOff before the next start. */
  | 'BackOff'
  /** Will not run again: its restartPolicy says so, or the pod is going away. */
  | 'Terminated';

/** Why the kubelet ended a run. */
export type KillReason = 'liveness' | 'startup' | 'definition' | 'stop' | 'OOMKilled' | 'postStart';

/** One run of the container's program, which is what a container ID names. */
export interface Instance {
  index: number;
  /** kip://<pid>; empty for a run that never started. */
  containerID: string;
}

export interface Run extends Instance {
  pid: number;
  startedAt: string;
  startedMs: number;
  killedFor?: KillReason;
  /** When SIGKILL follows the SIGTERM already sent. */
  killDeadline?: number;
  /** The preStop hook runs: SIGTERM is sent when it is done. */
  preStopping?: boolean;
}

export interface ContainerLifecycle {
  readonly phase: Phase;
  /** The live run: in Running, Killing and Stopping. */
  readonly run?: Run;
  readonly state: ContainerState;
  readonly lastState: ContainerState;
  /** The instance `state` is about (running or terminated); none while waiting. */
  readonly stateInstance?: Instance;
  /** The instance `lastState` is about. */
  readonly lastStateInstance?: Instance;
  readonly restartCount: number;
  readonly ready: boolean;
  readonly started: boolean;
  /** Runs begun so far, failed starts included: the index of the next one. */
  readonly runs: number;
  /** CrashLoopBackOff's current delay; 0 until the first restart. */
  readonly backOffMs: number;
  /** The last run's processes are all gone. */
  readonly released: boolean;
}

export type LifecycleEvent =
  /** The pod's sandbox is ready; imageError says the image cannot be pulled. */
  | { type: 'start'; imageError?: string }
  /** The pod object gave the container a new definition. */
  | { type: 'specChanged'; imageError?: string }
  | { type: 'spawned'; pid: number }
  | { type: 'spawnFailed'; message: string }
  /** The container's config (env from ConfigMaps and Secrets) could not be made: nothing was started. */
  | { type: 'configFailed'; message: string }
  /** Try a start that waits for its config again. */
  | { type: 'configRetry' }
  /** The program of run `index` exited (exitCode is 128 + signal when a signal ended it), leaving its termination message. */
  | { type: 'exited'; index: number; exitCode: number; message?: string }
  /** A lifecycle hook of run `index` is done; message says why it failed. */
  | { type: 'hookDone'; index: number; hook: Hook; ok: boolean; message?: string }
  /** What the last run left in its process group is gone, and its output drained. */
  | { type: 'released' }
  | { type: 'backOffOver' }
  | { type: 'graceOver'; index: number }
  /** A probe's thresholded result flipped. */
  | { type: 'probe'; index: number; kind: ProbeKind; ok: boolean }
  | { type: 'overMemory'; index: number; memory: number; limit: number }
  /** Stop for good: SIGTERM, SIGKILL after graceMs (at once too, with `now`). */
  | { type: 'stop'; graceMs: number; now?: boolean };

export type Timer = 'backOff' | 'grace' | 'configRetry';

/** How often a container waiting for its config tries again without being told it arrived. */
export const CONFIG_RETRY_MS = 5000;

export type Hook = 'postStart' | 'preStop';

export type LifecycleAction =
  /** Start the next run; answer with `spawned` or `spawnFailed`. */
  | { type: 'spawn' }
  | { type: 'signal'; signal: 'SIGTERM' | 'SIGKILL' }
  /** Kill what the exited run left in its group, close its log; answer with `released`. */
  | { type: 'release' }
  | { type: 'setTimer'; timer: Timer; ms: number }
  | { type: 'clearTimer'; timer: Timer }
  | { type: 'startProbes'; kinds: ProbeKind[] }
  /** Run a lifecycle hook against run `index`, for at most timeoutMs; answer with `hookDone`. */
  | { type: 'runHook'; hook: Hook; index: number; timeoutMs: number }
  | { type: 'stopProbes' }
  | { type: 'event'; eventType: 'Normal' | 'Warning'; reason: string; message: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; message: string; fields: Record<string, unknown> }
  /** Something the status shows changed. */
  | { type: 'report' }
  /** Nothing of the container runs and nothing will: a stop is complete. */
  | { type: 'stopped' };

/** What the step needs to know besides the state: the spec and pod as they are now, and the time. */
export interface LifecycleEnv {
  now: number;
  container: string;
  /** The pod as the kubelet names it in messages: name_namespace(uid). */
  pod: string;
  image?: string;
  /** The restart policy of this container: an init container's is the pod's, with Always read as OnFailure (see initRestartPolicy). */
  restartPolicy?: RestartPolicy;
  backOff: CrashLoopSettings;
  /** The grace period of a kill that restarts the container (the pod's own). */
  graceMs: number;
  hasStartupProbe: boolean;
  hasReadinessProbe: boolean;
  hasPostStart?: boolean;
  hasPreStop?: boolean;
}

export interface Step {
  state: ContainerLifecycle;
  actions: LifecycleAction[];
}

/**
 * A container that already ran on this node under an earlier agent process (the pod's stored
 * status says so): that process took the container down with it, so the next run is a restart
 * and counts as one, as the kubelet counts the containers of a node that rebooted. Its last state
 * is the run that ended unseen: Terminated, reason Unknown, exit code 255, as Kubernetes shows it.
 */
export function resumedLifecycle(waitingReason: string, previous: ContainerStatus | undefined): ContainerLifecycle {
  const fresh = initialLifecycle(waitingReason);
  const ran = previous?.state?.running ?? previous?.state?.terminated;
  if (!previous || (!previous.containerID && !ran)) return fresh;
  const count = previous.restartCount ?? 0;
  const startedAt = previous.state?.running?.startedAt ?? previous.state?.terminated?.startedAt;
  const lastState: ContainerState = previous.state?.terminated
    ? { terminated: previous.state.terminated }
    : {
        terminated: {
          exitCode: 255,
          reason: 'Unknown',
          ...(startedAt ? { startedAt } : {}),
          ...(previous.containerID ? { containerID: previous.containerID } : {}),
        },
      };
  return { ...fresh, lastState, restartCount: count, runs: count + 1 };
}

/**
 * A container not started yet: ContainerCreating, or PodInitializing for an init container and
 * for a container waiting on init containers, as the kubelet says.
 */
export function initialLifecycle(waitingReason = 'ContainerCreating'): ContainerLifecycle {
  return {
    phase: 'Waiting',
    state: { waiting: { reason: waitingReason } },
    lastState: {},
    restartCount: 0,
    ready: false,
    started: false,
    runs: 0,
    backOffMs: 0,
    released: true,
  };
}

/** Given the container's state and what happened, what next. */
export function step(s: ContainerLifecycle, ev: LifecycleEvent, env: LifecycleEnv): Step {
  switch (ev.type) {
    case 'start':
      return s.phase === 'Waiting' ? begin(s, ev.imageError, env) : same(s);
    case 'specChanged':
      if (s.phase === 'Waiting' && s.state.waiting?.reason === 'ErrImagePull') return begin(s, ev.imageError, env);
      if (waitingForConfig(s)) {
        const next = begin(s, ev.imageError, env);
        return { state: next.state, actions: [{ type: 'clearTimer', timer: 'configRetry' }, ...next.actions] };
      }
      if (s.phase === 'Running' || s.phase === 'Killing')
        return kill(s, 'definition', `Container ${env.container} definition changed, will be restarted`, env.graceMs, env);
      return same(s);
    case 'spawned':
      return s.phase === 'Starting' ? spawned(s, ev.pid, env) : same(s);
    case 'spawnFailed':
      return s.phase === 'Starting' ? spawnFailed(s, ev.message, env) : same(s);
    case 'configFailed':
      return s.phase === 'Starting' ? configFailed(s, ev.message, env) : same(s);
    case 'configRetry':
      if (!waitingForConfig(s)) return same(s);
      return {
        state: { ...s, phase: 'Starting' },
        actions: [{ type: 'clearTimer', timer: 'configRetry' }, ...(s.released ? [{ type: 'spawn' } as const] : [])],
      };
    case 'exited':
      return s.run?.index === ev.index ? exited(s, s.run, ev.exitCode, ev.message, env) : same(s);
    case 'hookDone':
      return s.run?.index === ev.index ? hookDone(s, s.run, ev.hook, ev.ok, ev.message ?? '', env) : same(s);
    case 'released': {
      const next = { ...s, released: true };
      if (s.phase === 'Starting') return { state: next, actions: [{ type: 'spawn' }] };
      if (s.phase === 'Terminated') return { state: next, actions: [{ type: 'stopped' }] };
      return { state: next, actions: [] };
    }
    case 'backOffOver':
      if (s.phase !== 'BackOff') return same(s);
      return { state: { ...s, phase: 'Starting' }, actions: s.released ? [{ type: 'spawn' }] : [] };
    case 'graceOver':
      if (s.run?.index !== ev.index) return same(s);
      return {
        state: s,
        actions: [
          { type: 'log', level: 'info', message: 'grace period over, killing container', fields: { container: env.container, pid: s.run.pid } },
          { type: 'signal', signal: 'SIGKILL' },
        ],
      };
    case 'probe':
      return s.run?.index === ev.index ? probeChanged(s, ev.kind, ev.ok, env) : same(s);
    case 'overMemory': {
      const run = s.run;
      if (run?.index !== ev.index || run.killedFor === 'OOMKilled') return same(s);
      // The kernel's OOM killer, done by the kubelet: SIGKILL, no grace.
      return {
        state: { ...s, phase: s.phase === 'Running' ? 'Killing' : s.phase, run: { ...run, killedFor: 'OOMKilled' } },
        actions: [
          {
            type: 'log',
            level: 'warn',
            message: 'container over its memory limit, killed',
            fields: { container: env.container, pid: run.pid, memory: ev.memory, limit: ev.limit },
          },
          { type: 'signal', signal: 'SIGKILL' },
        ],
      };
    }
    case 'stop':
      return stop(s, ev.graceMs, ev.now ?? false, env);
  }
}

function same(s: ContainerLifecycle): Step {
  return { state: s, actions: [] };
}

/** The first start, or a start again after the image could not be pulled. */
function begin(s: ContainerLifecycle, imageError: string | undefined, env: LifecycleEnv): Step {
  if (imageError === undefined) return { state: { ...s, phase: 'Starting' }, actions: s.released ? [{ type: 'spawn' }] : [] };
  const failed = `Failed to pull image "${env.image ?? ''}": ${imageError}`;
  return {
    state: { ...s, phase: 'Waiting', state: { waiting: { reason: 'ErrImagePull', message: failed } } },
    actions: [
      { type: 'event', eventType: 'Warning', reason: 'Failed', message: failed },
      { type: 'event', eventType: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' },
      { type: 'log', level: 'warn', message: 'image pull failed', fields: { container: env.container, image: env.image } },
      { type: 'report' },
    ],
  };
}

function spawned(s: ContainerLifecycle, pid: number, env: LifecycleEnv): Step {
  const index = s.runs;
  const startedAt = isoTime(env.now);
  const run: Run = { index, containerID: `kip://${pid}`, pid, startedAt, startedMs: env.now };
  // Without a startup probe the container counts as started at once, and ready at once without a
  // readiness probe; liveness and readiness probes wait for the startup probe to succeed.
  const started = !env.hasStartupProbe;
  return {
    state: {
      ...s,
      phase: 'Running',
      run,
      runs: s.runs + 1,
      restartCount: index,
      stateInstance: { index, containerID: run.containerID },
      state: { running: { startedAt } },
      started,
      ready: started && !env.hasReadinessProbe,
    },
    actions: [
      { type: 'event', eventType: 'Normal', reason: 'Created', message: `Created container ${env.container}` },
      { type: 'event', eventType: 'Normal', reason: 'Started', message: `Started container ${env.container}` },
      { type: 'log', level: 'info', message: 'container started', fields: { container: env.container, pid, restartCount: index } },
      { type: 'startProbes', kinds: started ? ['liveness', 'readiness'] : ['startup'] },
      ...(env.hasPostStart ? [{ type: 'runHook', hook: 'postStart', index, timeoutMs: env.graceMs } as const] : []),
      { type: 'report' },
    ],
  };
}

export const CREATE_CONTAINER_CONFIG_ERROR = 'CreateContainerConfigError';

function waitingForConfig(s: ContainerLifecycle): boolean {
  return s.phase === 'Waiting' && s.state.waiting?.reason === CREATE_CONTAINER_CONFIG_ERROR;
}

/**
 * The container's config could not be made (a ConfigMap or Secret, or a key, is missing): nothing
 * ran, so no restart is counted; it waits, as the kubelet's CreateContainerConfigError, and tries
 * again. What it last ran (a restart that found its config gone) stays its lastState.
 */
function configFailed(s: ContainerLifecycle, message: string, env: LifecycleEnv): Step {
  const first = s.state.waiting?.reason !== CREATE_CONTAINER_CONFIG_ERROR || s.state.waiting.message !== message;
  return {
    state: { ...s, phase: 'Waiting', stateInstance: undefined, state: { waiting: { reason: CREATE_CONTAINER_CONFIG_ERROR, message } } },
    actions: [
      { type: 'event', eventType: 'Warning', reason: 'Failed', message: `Error: ${message}` },
      ...(first ? [{ type: 'log', level: 'warn', message: 'container config not ready', fields: { container: env.container, error: message } } as const] : []),
      { type: 'setTimer', timer: 'configRetry', ms: CONFIG_RETRY_MS },
      { type: 'report' },
    ],
  };
}

/**
 * A hook is done. A failed postStart kills the run (it restarts by the policy); a preStop, failed
 * or not, is followed by the SIGTERM it was holding back.
 */
function hookDone(s: ContainerLifecycle, run: Run, hook: Hook, ok: boolean, message: string, env: LifecycleEnv): Step {
  if (hook === 'postStart') {
    if (ok) return same(s);
    const failed: LifecycleAction = { type: 'event', eventType: 'Warning', reason: 'FailedPostStartHook', message };
    const next = kill(s, 'postStart', `FailedPostStartHook`, env.graceMs, { ...env, hasPreStop: false });
    return { state: next.state, actions: [failed, ...next.actions] };
  }
  if (!run.preStopping) return same(s);
  return {
    state: { ...s, run: { ...run, preStopping: false } },
    actions: [...(ok ? [] : [{ type: 'event', eventType: 'Warning', reason: 'FailedPreStopHook', message } as const]), { type: 'signal', signal: 'SIGTERM' }],
  };
}

/** The program could not be started at all: a run that ended at once with exit code 128, as runtimes report it. */
function spawnFailed(s: ContainerLifecycle, message: string, env: LifecycleEnv): Step {
  const index = s.runs;
  const at = isoTime(env.now);
  const failed: ContainerLifecycle = { ...s, runs: s.runs + 1, restartCount: index, stateInstance: { index, containerID: '' } };
  const next = finish(failed, { exitCode: 128, reason: 'StartError', message, startedAt: at, finishedAt: at }, 0, false, env);
  return {
    state: next.state,
    actions: [
      { type: 'event', eventType: 'Warning', reason: 'Failed', message: `Error: failed to start container "${env.container}": ${message}` },
      { type: 'log', level: 'warn', message: 'container failed to start', fields: { container: env.container, error: message } },
      ...next.actions,
    ],
  };
}

function exited(s: ContainerLifecycle, run: Run, exitCode: number, message: string | undefined, env: LifecycleEnv): Step {
  const oom = run.killedFor === 'OOMKilled';
  const code = oom ? 137 : exitCode;
  const terminated: ContainerStateTerminated = {
    exitCode: code,
    reason: oom ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error',
    ...(message ? { message } : {}),
    startedAt: run.startedAt,
    finishedAt: isoTime(env.now),
  };
  const ended: ContainerLifecycle = { ...s, run: undefined, released: false };
  const gone: LifecycleAction[] = [
    { type: 'stopProbes' },
    { type: 'clearTimer', timer: 'grace' },
    { type: 'log', level: 'info', message: 'container exited', fields: { container: env.container, pid: run.pid, exitCode: code, reason: terminated.reason } },
    // The program is gone; what it left in its group is killed now, and the log closes when its pipes drain.
    { type: 'release' },
  ];
  if (s.phase === 'Stopping') {
    return { state: { ...ended, phase: 'Terminated', state: { terminated }, ready: false, started: false }, actions: [...gone, { type: 'report' }] };
  }
  const next = finish(ended, terminated, env.now - run.startedMs, run.killedFor === 'definition', env);
  return { state: next.state, actions: [...gone, ...next.actions] };
}

/**
 * A run ended: record it, then start again now, later (back-off) or never, by the pod's
 * restartPolicy. A run the kubelet ended for a new definition starts again at once, whatever the
 * policy.
 */
function finish(s: ContainerLifecycle, terminated: ContainerStateTerminated, ranMs: number, forceRestart: boolean, env: LifecycleEnv): Step {
  const ended: ContainerLifecycle = { ...s, state: { terminated }, ready: false, started: false };
  if (!forceRestart && !shouldRestart(env.restartPolicy, terminated.exitCode))
    return { state: { ...ended, phase: 'Terminated' }, actions: [{ type: 'report' }] };
  let backOffMs = Math.min(s.backOffMs, env.backOff.maxMs);
  let delayMs = 0;
  if (!forceRestart) ({ delayMs, currentMs: backOffMs } = crashLoopDelay(backOffMs, ranMs, env.backOff));
  const restarting: ContainerLifecycle = { ...ended, backOffMs, lastState: { terminated }, lastStateInstance: s.stateInstance };
  if (delayMs === 0) return { state: { ...restarting, phase: 'Starting' }, actions: [{ type: 'report' }, ...(s.released ? [{ type: 'spawn' } as const] : [])] };
  return {
    state: {
      ...restarting,
      phase: 'BackOff',
      stateInstance: undefined,
      state: { waiting: { reason: 'CrashLoopBackOff', message: backOffMessage(delayMs, env.container, env.pod) } },
    },
    actions: [
      { type: 'event', eventType: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${env.container} in pod ${env.pod}` },
      { type: 'log', level: 'debug', message: 'container back-off', fields: { container: env.container, delayMs } },
      { type: 'setTimer', timer: 'backOff', ms: delayMs },
      { type: 'report' },
    ],
  };
}

function probeChanged(s: ContainerLifecycle, kind: ProbeKind, ok: boolean, env: LifecycleEnv): Step {
  switch (kind) {
    case 'startup':
      if (!ok) return kill(s, 'startup', `Container ${env.container} failed startup probe, will be restarted`, env.graceMs, env);
      return {
        state: { ...s, started: true, ready: !env.hasReadinessProbe },
        actions: [{ type: 'startProbes', kinds: ['liveness', 'readiness'] }, { type: 'report' }],
      };
    case 'liveness':
      return ok ? same(s) : kill(s, 'liveness', `Container ${env.container} failed liveness probe, will be restarted`, env.graceMs, env);
    case 'readiness':
      if (s.ready === ok) return same(s);
      return {
        state: { ...s, ready: ok && s.started },
        actions: [
          { type: 'log', level: 'debug', message: ok ? 'container ready' : 'container not ready', fields: { container: env.container } },
          { type: 'report' },
        ],
      };
  }
}

/**
 * Ends the live run: SIGTERM to its group, SIGKILL when the grace period is over. A second kill
 * can only bring the SIGKILL closer; the first reason stays the run's.
 */
function kill(s: ContainerLifecycle, why: KillReason, message: string, graceMs: number, env: LifecycleEnv): Step {
  const run = s.run;
  if (!run) return same(s);
  const phase: Phase = why === 'stop' ? 'Stopping' : s.phase === 'Running' ? 'Killing' : s.phase;
  const killedFor = run.killedFor ?? why;
  const actions: LifecycleAction[] = [{ type: 'stopProbes' }];
  const deadline = env.now + graceMs;
  if (run.killDeadline !== undefined && run.killDeadline <= deadline) return { state: { ...s, phase, run: { ...run, killedFor } }, actions };
  // The preStop hook runs first, within the grace period; the SIGTERM waits for it.
  let preStopping = run.preStopping;
  if (run.killDeadline === undefined) {
    preStopping = !!env.hasPreStop && graceMs > 0;
    actions.push(
      { type: 'event', eventType: 'Normal', reason: 'Killing', message },
      {
        type: 'log',
        level: 'debug',
        message: 'stopping container',
        fields: { container: env.container, pid: run.pid, reason: why, graceSeconds: graceMs / 1000 },
      },
      preStopping ? { type: 'runHook', hook: 'preStop', index: run.index, timeoutMs: graceMs } : { type: 'signal', signal: 'SIGTERM' },
    );
  }
  actions.push({ type: 'clearTimer', timer: 'grace' }, { type: 'setTimer', timer: 'grace', ms: graceMs });
  return { state: { ...s, phase, run: { ...run, killedFor, killDeadline: deadline, preStopping } }, actions };
}

function stop(s: ContainerLifecycle, graceMs: number, now: boolean, env: LifecycleEnv): Step {
  if (s.run) {
    // Removed from the store: killed at once, with no hook to wait for.
    const next = kill(s, 'stop', `Stopping container ${env.container}`, graceMs, now ? { ...env, hasPreStop: false } : env);
    return now ? { state: next.state, actions: [...next.actions, { type: 'signal', signal: 'SIGKILL' }] } : next;
  }
  const actions: LifecycleAction[] = [];
  let next: ContainerLifecycle = { ...s, phase: 'Terminated' };
  if (s.phase === 'BackOff') actions.push({ type: 'clearTimer', timer: 'backOff' });
  if (waitingForConfig(s)) actions.push({ type: 'clearTimer', timer: 'configRetry' });
  // A container that will never run again shows its last run, or that it never ran.
  if (s.state.waiting) {
    next = s.lastState.terminated
      ? { ...next, state: s.lastState, stateInstance: s.lastStateInstance, lastState: {}, lastStateInstance: undefined }
      : {
          ...next,
          state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } },
        };
    actions.push({ type: 'report' });
  }
  if (s.released) actions.push({ type: 'stopped' });
  return { state: next, actions };
}

/** An init container runs to completion: it is restarted only when it fails, unless the pod's policy is Never. */
export function initRestartPolicy(podPolicy: RestartPolicy | undefined): RestartPolicy {
  return podPolicy === 'Never' ? 'Never' : 'OnFailure';
}
