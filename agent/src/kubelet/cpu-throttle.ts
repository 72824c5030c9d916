// CPU limits, enforced as the kernel's CFS bandwidth control does (a quota of CPU time per 100 ms
// period), but from the agent, for machines where it cannot give a container a cgroup of its own
// (kip's machines run a hybrid hierarchy whose cgroup v2 half has no cpu controller: no cpu.max to
// write): a duty cycle, as cpulimit(1) does. Each period the throttle reads how much CPU the container's
// process group used (the stat lines the sampler reads), earns the period's quota as credit, and
// lets the group run for as long as its credit lasts at the rate it burns CPU when running: it
// SIGCONTs the group at the start of the period and SIGSTOPs it when the window ends. A group in
// debt stays stopped until the quota it earns has paid for what it used. A container at its limit
// is slowed, never killed; what `top` shows is its usage, about its limit.
//
// The group's lifeline watcher (process-group.ts) is continued right after every stop, so that a
// dying agent's pods still die with it; exec sessions and exec probes run in groups of their own
// and are never stopped. One timer serves every throttled container, and none runs when no
// container has a CPU limit.

import { type ProcStat, processTable, signalGroup } from './proc.js';

/** The CFS period the kubelet sets (cpu.cfs_period_us = 100000). */
export const PERIOD_MS = 100;
/** USER_HZ: /proc counts CPU time in hundredths of a second. */
const MS_PER_TICK = 10;
/** How often a period also reads the pids handed out since, to find processes the container forked (stress forks its workers). */
const DISCOVER_EVERY_PERIODS = 5;
/** A debt is paid for at most this many periods: a burst seen late does not stop a group for minutes. */
const MAX_DEBT_PERIODS = 50;
/** Below this share of a period a window is not worth a timer: the group stays stopped this period. */
const MIN_WINDOW_MS = 1;

/** What the throttle remembers of one group between periods. */
export interface DutyState {
  /** CPU time the group may still use, in ms; negative while it is in debt. */
  creditMs: number;
  /** CPU cores the group burns while it runs, smoothed over periods (1 until measured). */
  demand: number;
}

export const initialDuty = (): DutyState => ({ creditMs: 0, demand: 1 });

/**
 * The next period's run window, from what the last period cost. Pure, so the arithmetic is tested
 * without processes.
 *   limitMillis  the container's CPU limit in millicores
 *   usedMs       CPU time the group used since the last period began
 *   ranMs        how long the group was let run in that period
 * Credit earned in a period that is not spent is not kept beyond one period's quota (CFS keeps
 * none), so an idle container cannot save up for a burst above its limit.
 */
export function nextWindow(state: DutyState, limitMillis: number, usedMs: number, ranMs: number, periodMs = PERIOD_MS): { state: DutyState; runMs: number } {
  const quotaMs = (limitMillis / 1000) * periodMs;
  const creditMs = Math.max(-quotaMs * MAX_DEBT_PERIODS, Math.min(quotaMs, state.creditMs + quotaMs - usedMs));
  let demand = state.demand;
  if (ranMs >= MS_PER_TICK) {
    // Tick counts are coarse (10 ms): a rising rate is smoothed so that one lucky tick does not
    // shrink the window; a falling one is taken at once, so that a group that idles is not stopped.
    const measured = usedMs / ranMs;
    demand = measured < demand ? measured : 0.5 * demand + 0.5 * measured;
  }
  demand = Math.max(0.05, demand);
  let runMs = creditMs <= 0 ? 0 : creditMs / demand;
  if (runMs < MIN_WINDOW_MS) runMs = 0;
  if (runMs > periodMs) runMs = periodMs;
  return { state: { creditMs, demand }, runMs };
}

/** CPU time of a group's members, in ms, from their stat; pids first seen count all their time. */
export function groupCpuMs(stats: readonly ProcStat[], seen: Map<number, number>): { usedMs: number; seen: Map<number, number> } {
  // Every member was born after the throttle started watching its group (it starts at the spawn),
  // so the whole life of a pid first seen now belongs to this container's use.
  let usedMs = 0;
  const next = new Map<number, number>();
  for (const st of stats) {
    if (st.cpuTicks === undefined) continue;
    next.set(st.pid, st.cpuTicks);
    usedMs += Math.max(0, st.cpuTicks - (seen.get(st.pid) ?? 0)) * MS_PER_TICK;
  }
  return { usedMs, seen: next };
}

interface Throttled {
  pgid: number;
  limitMillis: number;
  /** The pid to keep running while the group is stopped (its lifeline watcher), once known. */
  watcher: () => number | undefined;
  duty: DutyState;
  ticks: Map<number, number>;
  /** When the current run window began, and whether the group runs now. */
  windowStart: number;
  running: boolean;
  stopTimer: NodeJS.Timeout | undefined;
  ranMs: number;
}

/** Signals used by the throttle; tests count them. */
export interface ThrottleSignals {
  stop(pgid: number, keep: number): void;
  cont(pgid: number): void;
}

const realSignals: ThrottleSignals = {
  stop(pgid, keep) {
    if (signalGroup(pgid, 'SIGSTOP')) {
      try {
        process.kill(keep, 'SIGCONT');
      } catch {
        // the watcher is gone: so is the group, or it soon will be
      }
    }
  },
  cont(pgid) {
    signalGroup(pgid, 'SIGCONT');
  },
};

/** The agent's throttle: every container with a CPU limit, on one period timer. */
export class CpuThrottle {
  private readonly groups = new Map<number, Throttled>();
  private timer: NodeJS.Timeout | undefined;
  private periods = 0;
  /** Periods run, and groups stopped, since the start: what the cost measurement divides by. */
  stats = { periods: 0, stops: 0 };

  constructor(
    private readonly signals: ThrottleSignals = realSignals,
    private readonly periodMs = PERIOD_MS,
  ) {}

  /** Throttles the group to limitMillis until release(pgid). */
  limit(pgid: number, limitMillis: number, watcher: () => number | undefined): void {
    if (limitMillis <= 0) return;
    this.groups.set(pgid, {
      pgid,
      limitMillis,
      watcher,
      duty: initialDuty(),
      ticks: new Map(),
      windowStart: Date.now(),
      running: true,
      stopTimer: undefined,
      ranMs: 0,
    });
    this.timer ??= setInterval(() => this.period(), this.periodMs);
  }

  /** The container stopped: its group is never left stopped. */
  release(pgid: number): void {
    const g = this.groups.get(pgid);
    if (!g) return;
    clearTimeout(g.stopTimer);
    this.groups.delete(pgid);
    if (!g.running) this.signals.cont(pgid);
    if (this.groups.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  get size(): number {
    return this.groups.size;
  }

  /** Continues every group now (the agent is shutting down). */
  releaseAll(): void {
    for (const pgid of [...this.groups.keys()]) this.release(pgid);
  }

  private period(): void {
    const now = Date.now();
    this.stats.periods++;
    const discover = this.periods++ % DISCOVER_EVERY_PERIODS === 0;
    const members = processTable.memberStats(new Set(this.groups.keys()), discover);
    for (const g of this.groups.values()) {
      if (g.running) g.ranMs += now - g.windowStart;
      clearTimeout(g.stopTimer);
      g.stopTimer = undefined;
      const { usedMs, seen } = groupCpuMs(members.get(g.pgid) ?? [], g.ticks);
      g.ticks = seen;
      const { state, runMs } = nextWindow(g.duty, g.limitMillis, usedMs, g.ranMs, this.periodMs);
      g.duty = state;
      g.ranMs = 0;
      g.windowStart = now;
      if (runMs <= 0) {
        this.stop(g);
        continue;
      }
      // Continued every period it may run, even if it already runs: a SIGCONT from elsewhere is harmless.
      if (!g.running) this.signals.cont(g.pgid);
      g.running = true;
      if (runMs < this.periodMs) g.stopTimer = setTimeout(() => this.endWindow(g), runMs);
    }
  }

  private endWindow(g: Throttled): void {
    g.stopTimer = undefined;
    if (this.groups.get(g.pgid) !== g || !g.running) return;
    g.ranMs += Date.now() - g.windowStart;
    this.stop(g);
  }

  private stop(g: Throttled): void {
    // A group whose watcher is not known yet is not stopped: stopping the watcher too would leave
    // the group stopped for good if the agent died meanwhile.
    const watcher = g.watcher();
    if (watcher === undefined) return;
    // Stopped again each period it owes, in case something (a SIGTERM's SIGCONT) continued it.
    this.signals.stop(g.pgid, watcher);
    this.stats.stops++;
    g.running = false;
  }
}
