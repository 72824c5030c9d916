// The table of kinds kip serves. The API server routes, validates, defaults, keeps status and
// deletes by it; the CLI resolves names, prints tables and describes by it; the OpenAPI document
// lists its schemas. A new kind is a file of its own (its schema, with the checks the schema
// cannot say, and its defineKind entry: pod.ts is the fullest example) and, here, its entry in
// KINDS and its types' export; a controller for it, if it needs one, is registered with the others.

import type { TSchema } from '@sinclair/typebox';
import { controlPlaneChaosKind, networkChaosKind, nodeChaosKind } from './chaos.js';
import { configMapKind } from './configmap.js';
import { cronJobKind } from './cronjob.js';
import { controllerRevisionKind } from './controllerrevision.js';
import { daemonSetKind } from './daemonset.js';
import { deploymentKind } from './deployment.js';
import { endpointsKind } from './endpoints.js';
import { eventKind } from './event.js';
import { jobKind } from './job.js';
import { leaseKind } from './lease.js';
import type { KindDefinition } from './kind.js';
import { namespaceKind } from './namespace.js';
import { podDisruptionBudgetKind } from './pdb.js';
import { nodeKind } from './node.js';
import { podKind } from './pod.js';
import { priorityClassKind } from './priorityclass.js';
import { persistentVolumeKind } from './pv.js';
import { persistentVolumeClaimKind } from './pvc.js';
import { replicaSetKind } from './replicaset.js';
import { secretKind } from './secret.js';
import { serviceKind } from './service.js';
import { statefulSetKind } from './statefulset.js';
import { storageClassKind } from './storageclass.js';

// Each kind's types, by the names Kubernetes gives them.
export type {
  ConditionStatus,
  LabelSelector,
  LabelSelectorRequirement,
  ManagedFieldsEntry,
  ObjectMeta,
  ObjectReference,
  OwnerReference,
  ResourceList,
  ResourceRequirements,
  TaintEffect,
} from './meta.js';
export type {
  Affinity,
  Container,
  ContainerPort,
  EnvFromSource,
  EnvVar,
  EnvVarSource,
  ExecAction,
  HTTPGetAction,
  NodeAffinity,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodSpec,
  PodTemplateSpec,
  PreferredSchedulingTerm,
  Probe,
  RestartPolicy,
  TCPSocketAction,
  Toleration,
} from './pod-spec.js';
export type {
  PodAffinity,
  PodAffinityTerm,
  PodAntiAffinity,
  PreemptionPolicy,
  TopologySpreadConstraint,
  WeightedPodAffinityTerm,
} from './pod-scheduling.js';
export type {
  ContainerState,
  ContainerStateRunning,
  ContainerStateTerminated,
  ContainerStateWaiting,
  ContainerStatus,
  Pod,
  PodCondition,
  PodPhase,
  PodStatus,
} from './pod.js';
export type {
  ConfigMapVolumeSource,
  DownwardAPIVolumeFile,
  DownwardAPIVolumeSource,
  EmptyDirVolumeSource,
  HostPathVolumeSource,
  KeyToPath,
  PersistentVolumeClaimVolumeSource,
  ProjectedVolumeSource,
  SecretVolumeSource,
  Volume,
  VolumeMount,
  VolumeProjection,
} from './pod-volumes.js';
export { VOLUME_SOURCES } from './pod-volumes.js';
export type { Namespace } from './namespace.js';
export type { Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo, Taint } from './node.js';
export type { ReplicaSet, ReplicaSetSpec, ReplicaSetStatus } from './replicaset.js';
export type { Deployment, DeploymentCondition, DeploymentSpec, DeploymentStatus, DeploymentStrategy } from './deployment.js';
export type { Service, ServicePort, ServiceSpec, ServiceType } from './service.js';
export type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints } from './endpoints.js';
export type { Event } from './event.js';
export type { ConfigMap } from './configmap.js';
export type { Secret } from './secret.js';
export type { Job, JobCondition, JobConditionType, JobSpec, JobStatus, JobTemplateSpec } from './job.js';
export type {
  PodFailurePolicy,
  PodFailurePolicyAction,
  PodFailurePolicyOnExitCodes,
  PodFailurePolicyOnPodConditionsPattern,
  PodFailurePolicyRule,
  SuccessPolicy,
  SuccessPolicyRule,
} from './job-policies.js';
export { parseIndexList, UNLIMITED_BACKOFF } from './job-policies.js';
export type { CronJob, CronJobSpec, CronJobStatus } from './cronjob.js';
export type { CronJobSchedule } from './cron-schedule.js';
export type { ControllerRevision } from './controllerrevision.js';
export type { DaemonSet, DaemonSetSpec, DaemonSetStatus, DaemonSetUpdateStrategy } from './daemonset.js';
export type { PodDisruptionBudget, PodDisruptionBudgetCondition, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus } from './pdb.js';
export type { PriorityClass } from './priorityclass.js';
export type { StatefulSet, StatefulSetSpec, StatefulSetStatus, StatefulSetUpdateStrategy } from './statefulset.js';
export type {
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  PersistentVolumeClaimStatus,
  PersistentVolumeClaimTemplate,
} from './pvc.js';
export type { PersistentVolume, PersistentVolumeSpec, PersistentVolumeStatus } from './pv.js';
export type { StorageClass } from './storageclass.js';
export type { Lease, LeaseSpec } from './lease.js';
export { NODE_LEASE_NAMESPACE } from './lease.js';

export const KINDS: readonly KindDefinition[] = [
  namespaceKind,
  nodeKind,
  podKind,
  eventKind,
  serviceKind,
  endpointsKind,
  configMapKind,
  secretKind,
  deploymentKind,
  replicaSetKind,
  jobKind,
  cronJobKind,
  daemonSetKind,
  controllerRevisionKind,
  podDisruptionBudgetKind,
  priorityClassKind,
  statefulSetKind,
  persistentVolumeClaimKind,
  persistentVolumeKind,
  storageClassKind,
  leaseKind,
  nodeChaosKind,
  networkChaosKind,
  controlPlaneChaosKind,
];

// Built on first use, as are all tables here: a program that takes only a helper from this module
// (the agent takes a few) must not hold every kind's schema, and a bundler keeps whatever a
// module computes when it loads.
let byKind: Map<string, KindDefinition> | undefined;

export function kindDefinition(kind: string): KindDefinition | undefined {
  byKind ??= new Map(KINDS.map((k) => [k.resource.kind, k]));
  return byKind.get(kind);
}

/** Resolves what a user typed ("po", "pods", "Pod", "deployment.apps") to a kind. */
export function resolveKind(name: string): KindDefinition | undefined {
  const n = name.toLowerCase().replace(/\.[a-z0-9.]+$/, '');
  return KINDS.find(({ resource: r }) => r.plural === n || r.singular === n || r.kind.toLowerCase() === n || r.shortNames.includes(n));
}

/** Groups of Kubernetes' own API (named io.k8s.api.GROUP in OpenAPI), as opposed to kip's own. */
const BUILT_IN_GROUPS: readonly string[] = ['apps', 'batch', 'policy'];

/**
 * The name OpenAPI gives a kind's definition, as Kubernetes names them: `io.k8s.api.core.v1.Pod`,
 * `io.k8s.api.apps.v1.Deployment` for the built-in groups, and for others the group reversed, as
 * for custom resources (`dev.kip.chaos.v1alpha1.NodeChaos`).
 */
export function openApiName(r: { group: string; version: string; kind: string }): string {
  // Kubernetes' own groups: "" (core), apps, batch, policy, and "<name>.k8s.io" (scheduling.k8s.io -> io.k8s.api.scheduling).
  const builtIn = r.group === '' || BUILT_IN_GROUPS.includes(r.group) || r.group.endsWith('.k8s.io');
  const group = builtIn ? `io.k8s.api.${r.group.replace(/\.k8s\.io$/, '') || 'core'}` : r.group.split('.').reverse().join('.');
  return `${group}.${r.version}.${r.kind}`;
}

/**
 * Every kind's schema by its OpenAPI name, with the `x-kubernetes-group-version-kind` clients
 * find it by (the core group is ""), ready to be served as the `definitions` of /openapi/v2 or
 * the `components.schemas` of /openapi/v3.
 */
export function openApiSchemas(): Record<string, TSchema> {
  const out: Record<string, TSchema> = {};
  for (const { resource: r, schema } of KINDS) {
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    // The serialised schema: TypeBox's markers and the attached checks are symbols, which JSON leaves out.
    out[openApiName(r)] = { ...JSON.parse(JSON.stringify(schema)), 'x-kubernetes-group-version-kind': [gvk] } as TSchema;
  }
  return out;
}

// What the CLI prints with: the shared describe sections and the cells some commands reuse.
export { ageSince, formatRFC1123Z, humanDuration } from './age.js';
export * from './describe.js';
export { chaosMode, chaosSchedule } from './chaos.js';
export { qosClass, podReady, podRestarts } from './pod.js';
export { nodeRoles, nodeStatus, podTotals } from './node.js';
export {
  dropTypeDependentFields,
  endpointsForPort,
  isExternallyReachable,
  loadBalancerIngress,
  needsNodePorts,
  SERVICE_TYPES,
  serviceExternalIP,
  servicePorts,
  serviceTypeErrors,
} from './service.js';
export { formatEndpoints } from './endpoints.js';
export { eventTime, sortEvents } from './event.js';
export { podPhaseCounts } from './replicaset.js';
export { splitReplicaSets } from './deployment.js';
export {
  DEFAULT_BACKOFF_LIMIT,
  JOB_COMPLETION_INDEX,
  JOB_COMPLETION_INDEX_ENV,
  LABEL_JOB_CONTROLLER_UID,
  LABEL_JOB_NAME,
  LEGACY_LABEL_JOB_CONTROLLER_UID,
  LEGACY_LABEL_JOB_NAME,
  defaultJobSpec,
  jobCompletions,
  jobCondition,
  jobDisplayStatus,
  jobDuration,
  jobFinished,
} from './job.js';
export { ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP, DEFAULT_FAILED_JOBS_HISTORY_LIMIT, DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT } from './cronjob.js';
export { CronSyntaxError, isKnownTimeZone, missedScheduleTimes, nextScheduleTime, parseCronJobSchedule, wallClock } from './cron-schedule.js';
export { LABEL_CONTROLLER_REVISION_HASH } from './daemonset.js';
export { CONDITION_DISRUPTION_ALLOWED } from './pdb.js';
export { checkIntOrPercent, isIntOrPercent, scaledIntOrPercent } from './int-or-percent.js';
export { acceptClaimTemplateMounts, LABEL_POD_INDEX, LABEL_STATEFULSET_POD_NAME } from './statefulset.js';
export { accessModesText, DEFAULT_STORAGE_CLASS } from './pvc.js';
export { ANNOTATION_PROVISIONED_BY } from './pv.js';
export { claimNamesOf, volumeHostPath } from './claims.js';
export { ANNOTATION_DEFAULT_STORAGE_CLASS, isDefaultClass } from './storageclass.js';
export type { ColumnSet, DeletionRules, Describer, KindDefinition, RelatedQuery, StatusRules, Subresource } from './kind.js';
export { PERMANENT_NAMESPACES } from './namespace.js';
export { configMapKeyCount } from './configmap.js';
export { mergeStringData, SECRET_TYPE_OPAQUE } from './secret.js';
export { base64Error } from './config-data.js';
export { configRefKey, podConfigRefs } from './pod-config-refs.js';
export {
  HIGHEST_USER_DEFINABLE_PRIORITY,
  SYSTEM_CLUSTER_CRITICAL,
  SYSTEM_NODE_CRITICAL,
  SYSTEM_PRIORITY_CLASSES,
} from './priorityclass.js';
