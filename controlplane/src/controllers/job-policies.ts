// What a Job's policies say about its pods, as Kubernetes' job controller judges them
// (pkg/controller/job/pod_failure_policy.go, success_policy.go, backoff_limit_per_index):
// which rule of the pod failure policy a failed pod matches and what it then means, whether the
// succeeded indexes meet the success policy, and how many times an index has failed before.

import { parseIndexList, type ContainerStatus, type Pod, type PodFailurePolicy, type PodFailurePolicyAction, type SuccessPolicy } from '@kip/shared';

/** Carried from a failed pod to its replacement: how often its index failed before. */
export const INDEX_FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';
/** Failures of the index that a policy rule said to ignore. */
export const INDEX_IGNORED_FAILURE_COUNT = 'batch.kubernetes.io/job-index-ignored-failure-count';

export interface FailurePolicyMatch {
  /** The matching rule's action; undefined when no rule matches (the failure counts). */
  action?: PodFailurePolicyAction;
  /** Whether the failure counts towards backoffLimit (every action but Ignore). */
  countFailed: boolean;
  /** For FailJob and FailIndex, what the Job's condition says. */
  message?: string;
}

/**
 * The first rule of the policy a failed pod matches, as matchPodFailurePolicy: exit codes are
 * looked up in the app containers, then the init containers, a container that exited 0 never
 * matching; pod conditions by type and status.
 */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): FailurePolicyMatch {
  if (!policy) return { countFailed: true };
  const podName = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
  for (const [i, rule] of policy.rules.entries()) {
    let matched: string | undefined;
    if (rule.onExitCodes) {
      const req = rule.onExitCodes;
      const cs = matchingContainer(pod.status?.containerStatuses, req) ?? matchingContainer(pod.status?.initContainerStatuses, req);
      if (cs)
        matched = `Container ${cs.name} for pod ${podName} failed with exit code ${cs.state?.terminated?.exitCode} matching ${rule.action} rule at index ${i}`;
    } else if (rule.onPodConditions) {
      for (const pattern of rule.onPodConditions) {
        const want = pattern.status ?? 'True';
        if (pod.status?.conditions?.some((c) => c.type === pattern.type && c.status === want)) {
          matched = `Pod ${podName} has condition ${pattern.type} matching ${rule.action} rule at index ${i}`;
          break;
        }
      }
    }
    if (matched === undefined) continue;
    switch (rule.action) {
      case 'Ignore':
        return { action: 'Ignore', countFailed: false };
      case 'Count':
        return { action: 'Count', countFailed: true };
      default:
        return { action: rule.action, countFailed: true, message: matched };
    }
  }
  return { countFailed: true };
}

function matchingContainer(
  statuses: ContainerStatus[] | undefined,
  req: NonNullable<PodFailurePolicy['rules'][number]['onExitCodes']>,
): ContainerStatus | undefined {
  for (const cs of statuses ?? []) {
    const code = cs.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    if (req.containerName !== undefined && req.containerName !== cs.name) continue;
    if (req.values.includes(code) === (req.operator === 'In')) return cs;
  }
  return undefined;
}

/** The message of the first success policy rule the succeeded indexes meet, as matchSuccessPolicy. */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, succeeded: ReadonlySet<number>): string | undefined {
  if (!policy || succeeded.size === 0) return undefined;
  for (const [i, rule] of policy.rules.entries()) {
    if (rule.succeededIndexes !== undefined) {
      const intervals = parseIndexList(rule.succeededIndexes, completions);
      if (typeof intervals === 'string' || intervals.length === 0) continue;
      let wanted = 0;
      let have = 0;
      for (const { first, last } of intervals)
        for (let x = first; x <= last; x++) {
          wanted++;
          if (succeeded.has(x)) have++;
        }
      if (have === wanted || (rule.succeededCount !== undefined && have >= rule.succeededCount)) return `Matched rules at index ${i}`;
    } else if (rule.succeededCount !== undefined && succeeded.size >= rule.succeededCount) {
      return `Matched rules at index ${i}`;
    }
  }
  return undefined;
}

/** How often a pod's index had failed before this pod was created (its own failure not included). */
export function indexFailureCount(pod: Pod): number {
  const v = pod.metadata.annotations?.[INDEX_FAILURE_COUNT];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
}

/** The same for failures a policy said to ignore. */
export function indexIgnoredFailureCount(pod: Pod): number {
  const v = pod.metadata.annotations?.[INDEX_IGNORED_FAILURE_COUNT];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
}
