// Timing knobs of the cluster. The control plane owns them and hands them to every agent in the
// welcome, so one `--profile` switch sets the whole cluster's pace.

export interface Timing {
  /** How often an agent sends a heartbeat (the kubelet's lease renewal). */
  heartbeatIntervalMs: number;
  /**
   * Heartbeats (the agent's lease renewals) missing this long, in time the control plane was
   * watching, mark a node Ready=Unknown (node-monitor-grace-period). A node whose agent process is
   * known to have exited is Unknown at once.
   */
  nodeMonitorGracePeriodMs: number;
  /**
   * After the control plane starts, how long a node whose agent has not connected to it yet keeps
   * the condition it had (node-startup-grace-period): a restarted control plane waits this long for
   * its agents to reconnect, which a hundred at once take longer to do than one heartbeat period.
   */
  nodeStartupGracePeriodMs: number;
  /** How long pods stay on an unreachable node before eviction (the default 300 s toleration). */
  podEvictionTimeoutMs: number;
  /** Nodes per second that may be tainted for eviction, per zone, while it is healthy (--node-eviction-rate). */
  nodeEvictionRate: number;
  /** The same while most of a large zone looks unhealthy (--secondary-node-eviction-rate). */
  secondaryNodeEvictionRate: number;
  /** CrashLoopBackOff: first delay, cap, and how long a clean run must last to reset it. */
  crashLoopBackOffInitialMs: number;
  crashLoopBackOffMaxMs: number;
  crashLoopBackOffResetMs: number;
  /** The Job controller's delay before replacing a failed pod: first delay, doubling to the cap. */
  jobBackoffInitialMs: number;
  jobBackoffMaxMs: number;
  /** How often the agent samples resource use of its containers (pidusage). */
  resourceSampleIntervalMs: number;
  /** Pod status changes are batched for at most this long before being sent. */
  statusBatchMs: number;
}

export type ProfileName = 'fast' | 'kubernetes';

export const PROFILES: Record<ProfileName, Timing> = {
  // Fast enough that a failure and its recovery can be watched in seconds: Kubernetes' numbers
  // scaled down about ten times.
  fast: {
    heartbeatIntervalMs: 1000,
    nodeMonitorGracePeriodMs: 4000,
    nodeStartupGracePeriodMs: 15_000,
    podEvictionTimeoutMs: 0,
    nodeEvictionRate: 1,
    secondaryNodeEvictionRate: 0.1,
    crashLoopBackOffInitialMs: 1000,
    crashLoopBackOffMaxMs: 30_000,
    crashLoopBackOffResetMs: 60_000,
    jobBackoffInitialMs: 1000,
    jobBackoffMaxMs: 36_000,
    resourceSampleIntervalMs: 2000,
    statusBatchMs: 50,
  },
  // Kubernetes' defaults: node lease every 10 s, node-monitor-grace-period 50 s,
  // node-startup-grace-period 60 s, the 300 s
  // not-ready/unreachable tolerations, eviction of 0.1 node/s (0.01 in a disrupted large zone),
  // CrashLoopBackOff 10 s doubling to 300 s, reset after 10 min, Job pod failures 10 s doubling to 6 min.
  kubernetes: {
    heartbeatIntervalMs: 10_000,
    nodeMonitorGracePeriodMs: 50_000,
    nodeStartupGracePeriodMs: 60_000,
    podEvictionTimeoutMs: 300_000,
    nodeEvictionRate: 0.1,
    secondaryNodeEvictionRate: 0.01,
    crashLoopBackOffInitialMs: 10_000,
    crashLoopBackOffMaxMs: 300_000,
    crashLoopBackOffResetMs: 600_000,
    jobBackoffInitialMs: 10_000,
    jobBackoffMaxMs: 360_000,
    resourceSampleIntervalMs: 10_000,
    statusBatchMs: 50,
  },
};

export function isProfileName(s: string): s is ProfileName {
  return s === 'fast' || s === 'kubernetes';
}
