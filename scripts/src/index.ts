// The scripts' public API: the programs (kip, chaos, experiment, soak, bench, the cluster
// launcher) and the parts the tests drive one at a time.

export * from './bench/scheduler.js';

export { main as chaosMain } from './chaos/main.js';
export { durableStore } from './chaos/kill-control-plane.js';

export * from './cluster/etcd-server.js';
export * from './cluster/local-cluster.js';

export * from './experiment/client-log.js';
export * from './experiment/cluster-watch.js';
// The experiment's and the soak's command-line refusals share a class of their own, apart from the CLI's UsageError.
export {
  parseCommandLine as parseExperimentCommandLine,
  UsageError as RunnerUsageError,
  type CommandLine as ExperimentCommandLine,
} from './experiment/command-line.js';
export * from './experiment/fault-reach.js';
export * from './experiment/faults.js';
export * from './experiment/field-checker.js';
export * from './experiment/output.js';
export * from './experiment/phases.js';
export * from './experiment/probe.js';
export * from './experiment/report.js';
export * from './experiment/report-html.js';
export * from './experiment/report-text.js';
export * from './experiment/runner.js';
export * from './experiment/spec.js';
export * from './experiment/stats.js';
export * from './experiment/timeline.js';
export * from './experiment/workload.js';

export * from './kip/apply-merge.js';
export * from './kip/commands/create-job.js';
export * from './kip/commands/drain.js';
export * from './kip/commands/index.js';
export * from './kip/commands/port-forward.js';
export * from './kip/commands/top.js';
export * from './kip/describe/writer.js';
export * from './kip/errors.js';
export * from './kip/flags.js';
export * from './kip/io.js';
export * from './kip/main.js';
export * from './kip/manifests.js';
export * from './kip/printers/columns.js';
export * from './kip/printers/custom-columns.js';
export * from './kip/printers/jsonpath.js';
export * from './kip/printers/output.js';
export * from './kip/printers/table.js';
export * from './kip/printers/tabwriter.js';
export * from './kip/rollout-status.js';
export * from './kip/targets.js';

export { defaultMinReady, parseSoakCommandLine, type SoakOptions } from './soak/command-line.js';
export * from './soak/inventory.js';
export * from './soak/kill-log.js';
export * from './soak/processes.js';
export * from './soak/report.js';
export * from './soak/report-text.js';
export * from './soak/runner.js';

export * from './fuzz/gen.js';
export * from './fuzz/http.js';
export * from './fuzz/objects.js';
export * from './fuzz/runner.js';
export * from './fuzz/target.js';
export { parseFuzzCommandLine, renderSummary } from './fuzz/main.js';
