#!/usr/bin/env node
// npm run bench: every figure kip promises, measured on this machine in one run, each beside a
// baseline measured in the same run and the published anchor it should be compared with.
//
//   npm run bench                       everything
//   npm run bench -- --only scheduler,store,start,deploy,failover,ha,scale,network
//   npm run bench -- --json out.json    also write the figures as JSON

import { writeFileSync } from 'node:fs';
import { readCommandLine } from '@kip/shared';
import { benchClusterStart, benchDeploy, benchFailover } from './e2e.js';
import { benchNetwork, printNetworkRows } from './network.js';
import { benchLeaderTakeover } from './leader-takeover.js';
import { benchScale } from './scale.js';
import { benchSchedulerMedian, KUBE_SCHEDULER_ANCHOR } from './scheduler.js';
import { benchControlPlaneRestart, benchEtcdStoreWrites, benchStoreDurability, benchStoreWrites } from './store.js';
import { printTable } from './table.js';

const SECTIONS = ['scheduler', 'store', 'start', 'deploy', 'failover', 'ha', 'scale', 'network'] as const;
/** Runs of each scheduler figure, the median reported (see benchSchedulerMedian). */
const SCHEDULER_RUNS = 3;
type Section = (typeof SECTIONS)[number];

async function main(): Promise<void> {
  let values: { only?: string; json?: string; help?: boolean };
  try {
    ({ values } = readCommandLine(process.argv.slice(2), { only: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' } }));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\nusage: npm run bench -- [--only ${SECTIONS.join(',')}] [--json FILE]\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`usage: npm run bench -- [--only ${SECTIONS.join(',')}] [--json FILE]\n`);
    return;
  }
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...SECTIONS];
  for (const s of only) if (!SECTIONS.includes(s as Section)) throw new Error(`--only: unknown section "${s}"; choose from ${SECTIONS.join(', ')}`);
  const want = (s: Section) => only.includes(s);
  const results: Record<string, unknown> = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, at: new Date().toISOString() };

  if (want('scheduler')) {
    process.stdout.write(
      `\n== Scheduler alone, in process (store writes included): 10 000 pods of 100m/128Mi; the median of ${SCHEDULER_RUNS} runs, each run's pods/s in brackets\n`,
    );
    const rows = [];
    for (const nodes of [1000, 5000]) {
      rows.push({ ...(await benchSchedulerMedian({ nodes, pods: 10_000 }, SCHEDULER_RUNS)), how: 'kip (adaptive sampling, as kube-scheduler)' });
      rows.push({
        ...(await benchSchedulerMedian({ nodes, pods: 10_000, percentageOfNodesToScore: 100 }, SCHEDULER_RUNS)),
        how: 'baseline: every node filtered and scored',
      });
    }
    printTable(
      ['nodes', 'pods', 'pods/s', 'runs', 'p50 ms', 'p99 ms', 'CPU us/pod', ''],
      [
        ...rows.map((r) => [r.nodes, r.pods, r.podsPerSecond, `[${r.runs.join(' ')}]`, r.p50Ms, r.p99Ms, r.cpuUsPerPod, r.how]),
        [
          KUBE_SCHEDULER_ANCHOR.nodes,
          KUBE_SCHEDULER_ANCHOR.pods,
          KUBE_SCHEDULER_ANCHOR.podsPerSecond,
          '',
          '',
          '',
          '',
          'anchor: kube-scheduler scheduler_perf floor',
        ],
      ],
    );
    results.scheduler = rows;
  }

  if (want('store')) {
    process.stdout.write('\n== Store: 10 000 pods created then bound (20 000 writes; etcd: 500 pods, 1 000 writes), in process\n');
    const rows = [benchStoreWrites('sqlite'), benchStoreWrites('memory')];
    const etcdRow = await benchEtcdStoreWrites();
    if (etcdRow) rows.push(etcdRow);
    const notes = {
      sqlite: 'kip --store sqlite: committed (WAL) before acknowledged',
      memory: 'baseline: memory only',
      etcd: 'kip --store etcd://: a txn on a local etcd 3.4 (fsync), then its watch event',
    };
    printTable(
      ['store', 'writes', 'writes/s', 'p50 us', 'p99 us', ''],
      [
        ...rows.map((r) => [r.store, r.writes, r.writesPerSecond, r.p50Us.toFixed(1), r.p99Us.toFixed(1), notes[r.store]]),
        ...(etcdRow ? [] : [['etcd', '-', '-', '-', '-', 'etcd not installed (apt-get install -y etcd-server)']]),
      ],
    );
    const durability = await benchStoreDurability(20);
    const restart = await benchControlPlaneRestart(5);
    printTable(
      ['', 'figure'],
      [
        [`kill -9 of a writer mid-stream, ${durability.trials} trials`, `${durability.lost} of ${durability.acknowledged} acknowledged writes lost`],
        [`control plane kill -9 and restart, ${restart.nodes} nodes: listening`, `${restart.listeningSeconds.toFixed(2)} s`],
        ['... every agent reconnected', `${restart.allNodesBackSeconds.toFixed(2)} s`],
      ],
    );
    results.store = { writes: rows, durability, restart };
  }

  if (want('start')) {
    process.stdout.write('\n== Cluster start: control plane + N agents to all nodes Ready\n');
    const rows = [await benchClusterStart(5), await benchClusterStart(50), await benchClusterStart(100)];
    printTable(
      [
        'nodes',
        'seconds to Ready',
        'cpu s cp/agents',
        'cpu s per agent',
        'agent RSS MiB, 2 s/10 s after Ready',
        'agent PSS MiB, 2 s/10 s',
        'control plane MiB',
        'healthz p50/max ms',
        'bare node start ms',
        'bare node RSS/PSS MiB',
      ],
      rows.map((r) => [
        r.nodes,
        r.secondsToReady.toFixed(2),
        `${r.controlPlaneCpuSeconds.toFixed(1)}/${r.agentsCpuSeconds.toFixed(1)}`,
        (r.agentsCpuSeconds / r.nodes).toFixed(2),
        `${r.agentRssMiB.toFixed(1)}/${r.agentIdleRssMiB.toFixed(1)}`,
        `${r.agentPssMiB.toFixed(1)}/${r.agentIdlePssMiB.toFixed(1)}`,
        r.controlPlaneRssMiB.toFixed(1),
        `${r.controlPlaneHealthzP50Ms.toFixed(0)}/${r.controlPlaneHealthzMaxMs.toFixed(0)}`,
        r.baselineNodeStartMs.toFixed(0),
        `${r.baselineNodeRssMiB.toFixed(1)}/${r.baselineNodePssMiB.toFixed(1)}`,
      ]),
    );
    results.start = rows;
  }

  if (want('deploy')) {
    process.stdout.write('\n== End to end: a 100-replica Deployment of pause on 5 agents\n');
    const r = await benchDeploy(5, 100);
    printTable(
      ['', 'all Running s', 'pod start p50 ms', 'pod start p99 ms'],
      [
        ['kip', r.secondsToAllRunning.toFixed(2), r.podStartP50Ms.toFixed(0), r.podStartP99Ms.toFixed(0)],
        ['baseline: spawn 100 bare processes', '', r.baselineSpawnP50Ms.toFixed(1), r.baselineSpawnP99Ms.toFixed(1)],
        ['anchor: Kubernetes pod startup SLO', '', '', '5000'],
      ],
    );
    results.deploy = r;
  }

  if (want('failover')) {
    process.stdout.write("\n== Failover: SIGKILL of an agent to its pods' replacements Running elsewhere (20 replicas, 5 nodes, fast profile)\n");
    const r = await benchFailover(5, 20, 5);
    printTable(
      ['', 'p50 s', 'trials s'],
      [
        ['kip (fast profile)', r.p50Seconds.toFixed(2), r.trialsSeconds.map((t) => t.toFixed(2)).join(' ')],
        ['anchor: Kubernetes defaults (40-50 s grace + 300 s toleration)', '~350', ''],
      ],
    );
    results.failover = r;
  }

  if (want('ha')) {
    process.stdout.write(
      '\n== Two control planes on one etcd: SIGKILL of the leader to the other leading, and to every node Ready on it (5 nodes, fast profile)\n',
    );
    const r = await benchLeaderTakeover(5, 3);
    if (!r) process.stdout.write('etcd not installed (apt-get install etcd-server): skipped\n');
    else {
      printTable(
        ['', 'p50 s', 'trials s'],
        [
          ['kill -> new leader holds the Lease', r.p50LeaderSeconds.toFixed(2), r.leaderSeconds.map((t) => t.toFixed(2)).join(' ')],
          ['kill -> every node Ready on it', r.p50ReadySeconds.toFixed(2), r.readySeconds.map((t) => t.toFixed(2)).join(' ')],
          ['anchor: client-go defaults (15 s lease, 2 s retry)', '~15-17', ''],
        ],
      );
      results.ha = r;
    }
  }

  if (want('scale')) {
    process.stdout.write('\n== Scale: a 1,000-replica pause Deployment (10m/16Mi) on 100 and on 10 nodes, scaled to 0 and back\n');
    const rows = [];
    for (const nodes of [100, 10]) rows.push(await benchScale(nodes, 1000, (line) => process.stdout.write(`   ${nodes} nodes: ${line}\n`)));
    printTable(
      [
        'nodes',
        'pods',
        'Ready s',
        'burst s',
        'start p50/p99 ms',
        'to 0 s',
        'back s',
        'created',
        'NotReady',
        'evicted',
        'idle % core (cp/agents)',
        'agent RSS/PSS MiB',
        'baseline: bare spawns s',
      ],
      rows.map((r) => [
        r.nodes,
        r.replicas,
        r.secondsToReady.toFixed(1),
        r.burstSeconds.toFixed(1),
        `${r.podStartP50Ms.toFixed(0)}/${r.podStartP99Ms.toFixed(0)}`,
        r.scaleDownSeconds.toFixed(1),
        r.scaleUpSeconds.toFixed(1),
        r.created,
        r.notReadyNodes,
        r.evictions,
        `${r.idleCpuPercent.toFixed(0)} (${r.idleControlPlanePercent.toFixed(1)}/${r.idleAgentsPercent.toFixed(0)})`,
        `${r.agentRssMiB.toFixed(1)}/${r.agentPssMiB.toFixed(1)}`,
        r.baselineSpawnSeconds.toFixed(1),
      ]),
    );
    process.stdout.write('   must hold: created = 2 x pods, NotReady = 0, evicted = 0; baseline: one process spawning the same pause shells\n');
    results.scale = rows;
  }

  if (want('network')) {
    const bytes = 2 ** 30;
    process.stdout.write('\n== Network data plane: 1 GiB streams and 64-byte ping-pong, real agent processes\n');
    const rows = await benchNetwork({ bytes });
    printNetworkRows(rows, bytes);
    results.network = rows;
  }

  if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
