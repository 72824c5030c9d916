// Fault objects, in the shape Chaos Mesh gave the field: a selector of nodes with a mode, an
// action, an optional duration and schedule, and a status that records what was done. They live
// under kip's own API group, chaos.kip.dev/v1alpha1.

import type { KObject } from './types.js';

export const CHAOS_GROUP = 'chaos.kip.dev';
export const CHAOS_API_VERSION = `${CHAOS_GROUP}/v1alpha1`;

/** How many of the selected nodes a fault takes (Chaos Mesh's modes). */
export type ChaosMode = 'one' | 'all' | 'fixed' | 'fixed-percent' | 'random-max-percent';

export interface NodeSelectorSpec {
  /** Node names; when set, only these are candidates. */
  nodes?: string[];
  /** Node labels that must all match (Chaos Mesh's labelSelectors). */
  labelSelectors?: Record<string, string>;
}

export interface ChaosTargetSpec {
  selector?: NodeSelectorSpec;
  mode?: ChaosMode;
  /** a count for fixed, a percentage for the percent modes, as a string like Chaos Mesh's */
  value?: string;
}

export interface ChaosScheduleSpec {
  /** repeat every interval ("10s", "1m") */
  interval?: string;
  /** or on a five-field cron schedule ("*\/2 * * * *") */
  cron?: string;
  /** stop after this many runs */
  count?: number;
}

interface ChaosCommonSpec extends ChaosTargetSpec {
  /** How long each injection lasts before it heals by itself; absent: until deleted. */
  duration?: string;
  schedule?: ChaosScheduleSpec;
  /** Seeds every random choice (nodes picked, jitter, resets), so a run can be replayed. */
  seed?: number;
}

export type NodeChaosAction = 'kill' | 'pause' | 'restart';

export interface NodeChaosSpec extends ChaosCommonSpec {
  action: NodeChaosAction;
  /** Skip an injection that would leave fewer Ready nodes than this. */
  minReady?: number;
  /** restart: how long a killed node stays down before it comes back (default 3s) */
  restartDelay?: string;
}

export type NetworkChaosAction = 'delay' | 'bandwidth' | 'reset' | 'timeout' | 'partition';

export interface NetworkChaosSpec extends ChaosCommonSpec {
  action: NetworkChaosAction;
  /** Relative to the selected nodes: traffic to the target, from it, or both ways. Default "to". */
  direction?: 'to' | 'from' | 'both';
  /** The other end of the affected links: nodes, and/or the control plane. Default: every other node. */
  target?: ChaosTargetSpec & { controlPlane?: boolean };
  delay?: { latency: string; jitter?: string; correlation?: string };
  bandwidth?: { rate: string };
  /** probability ("0.5") that a new connection, or a live one each second, is reset */
  reset?: { probability: string };
}

export type ChaosPhase = 'Pending' | 'Running' | 'Injected' | 'Recovered' | 'Finished' | 'Failed';

export interface ChaosRecord {
  /** when this injection (or skip) happened */
  time: string;
  action: string;
  /** the nodes it chose */
  nodes: string[];
  /** for network faults: the peers on the other side of the affected links */
  targets?: string[];
  result: 'Injected' | 'Skipped' | 'Recovered' | 'Failed';
  message?: string;
}

export interface ChaosStatus {
  phase?: ChaosPhase;
  /** how many times it has been injected */
  runs?: number;
  nextRunTime?: string;
  /** nodes under the fault right now */
  affected?: string[];
  records?: ChaosRecord[];
  /** for network faults: the nodes on the other side of the affected links right now */
  targets?: string[];
  /** when the current injection began */
  injectedTime?: string;
  /** when the current injection heals by itself (its start plus spec.duration) */
  healTime?: string;
  /** runs that were skipped (minReady, no node to act on) or failed; they count toward schedule.count */
  skippedRuns?: number;
  /** the seed in use: spec.seed, or one derived from the object's uid when none was given */
  seed?: number;
}

export interface NodeChaos extends KObject {
  apiVersion: typeof CHAOS_API_VERSION;
  kind: 'NodeChaos';
  spec: NodeChaosSpec;
  status?: ChaosStatus;
}

export interface NetworkChaos extends KObject {
  apiVersion: typeof CHAOS_API_VERSION;
  kind: 'NetworkChaos';
  spec: NetworkChaosSpec;
  status?: ChaosStatus;
}
