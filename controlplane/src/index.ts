// The control plane's public API: the process (ControlPlane) and the parts it is built from, for
// the benchmarks and the tests that drive them one at a time: the API layer, the store, the
// controllers, the scheduler and its plugins, networking, and fault injection.

export * from './api/errors.js';
export * from './api/job-selector.js';
export * from './api/disruption-target.js';
export * from './api/eviction.js';
export * from './api/auth.js';
export * from './api/body-depth.js';
export * from './api/config-publisher.js';
export * from './api/field-selector.js';
export * from './api/discovery.js';
export * from './api/exec.js';
export * from './api/json-patch.js';
export * from './api/managed-fields.js';
export * from './api/merge-patch.js';
export * from './api/paging.js';
export * from './api/port-forward.js';
export * from './api/port-forward-channels.js';
export * from './api/port-forward-spdy.js';
export * as spdy from './api/spdy/index.js';
export * from './api/list-options.js';
export * from './api/patch-meta.js';
export * from './api/server-side-apply.js';
export * from './api/strategic-merge-patch.js';
export * from './api/openapi.js';
export * from './api/node-session.js';
export * from './api/node-leases.js';
export * from './api/node-volume-access.js';
export * from './api/default-storage-class.js';
export * from './api/pod-cidr.js';
export * from './api/priority-admission.js';
export * from './api/registry.js';
export * from './api/request-guard.js';
export * from './api/rest.js';
export * from './api/protobuf.js';
export * from './api/proxy.js';
export * from './api/routes.js';
export * from './api/table.js';

export * from './chaos/index.js';
export * from './chaos/resume-early.js';

export * from './controllers/controller.js';
export * from './controllers/cronjob.js';
export * from './controllers/daemonset.js';
export * from './controllers/daemonset-eligibility.js';
export * from './controllers/daemonset-history.js';
export * from './controllers/daemonset-plan.js';
export * from './controllers/deployment.js';
export * from './controllers/disruption.js';
export * from './controllers/disruption-budget.js';
export * from './controllers/endpoints.js';
export * from './controllers/eviction-queue.js';
export * from './controllers/garbage-collector.js';
export * from './controllers/job.js';
export * from './controllers/job-indexes.js';
export * from './controllers/job-policies.js';
export * from './controllers/job-ttl.js';
export * from './controllers/manager.js';
export * from './controllers/node-lifecycle.js';
export * from './leader/leader-election.js';
export * from './controllers/pod-deletion-rank.js';
export * from './controllers/pod-gc.js';
export * from './controllers/pod-template-hash.js';
export * from './controllers/replicaset.js';
export * from './controllers/rollout-plan.js';
export * from './controllers/statefulset.js';
export * from './controllers/statefulset-claims.js';
export * from './controllers/statefulset-plan.js';
export * from './controllers/statefulset-revisions.js';
export * from './controllers/statefulset-status.js';
export * from './controllers/volume-provisioner.js';
export * from './controllers/workqueue.js';
export * from './controllers/zone-disruption.js';

export * from './events.js';
export * from './server.js';

export * from './network/cluster-ip.js';
export * from './network/load-balancer.js';
export * from './network/node-port.js';
export * from './network/route-publisher.js';

export * from './scheduler/cache.js';
export * from './scheduler/default-plugins.js';
export * from './scheduler/diagnosis.js';
export * from './scheduler/framework.js';
export * from './scheduler/node-info.js';
export * from './scheduler/placement.js';
export * from './scheduler/node-list-snapshot.js';
export * from './scheduler/pod-info.js';
export * from './scheduler/preemption.js';
export * from './scheduler/preemption-budgets.js';
export * from './scheduler/topology-counts.js';
export * from './scheduler/plugins/balanced-allocation.js';
export * from './scheduler/plugins/node-affinity.js';
export * from './scheduler/plugins/node-ready.js';
export * from './scheduler/plugins/node-resources-fit.js';
export * from './scheduler/plugins/node-unschedulable.js';
export * from './scheduler/plugins/inter-pod-affinity.js';
export * from './scheduler/plugins/pod-topology-spread.js';
export * from './scheduler/plugins/taint-toleration.js';
export * from './scheduler/plugins/volume-binding.js';
export * from './scheduler/pod-resources.js';
export * from './scheduler/queue.js';
export * from './scheduler/scheduler.js';
export * from './scheduler/score-summary.js';

export * from './store/journal.js';
export * from './store/memory.js';
export * from './store/uid.js';
export * from './store/sqlite.js';
export * from './store/etcd.js';
export * from './store/store.js';

export * from './tls.js';
export * from './token.js';
