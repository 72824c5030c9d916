import assert from 'node:assert/strict';
import type { ChaosRecord } from '@kip/shared';
import { KillLog, eventCounts } from '@kip/scripts';
import { computeSoakReport, exitCodeOf, rssLimitBytes, unloggedOf, type SoakInput } from '@kip/scripts';
import { renderSoakText } from '@kip/scripts';
import { failAt, steady } from '../experiment/fixtures.js';

const MiB = 1024 * 1024;
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

function input(over: Partial<SoakInput> = {}): SoakInput {
  return {
    startTime: T0,
    plannedDurationMs: 10_000,
    durationMs: 10_000,
    interrupted: false,
    settings: {
      nodes: 5,
      intervalMs: 2000,
      restartNodes: true,
      restartDelayMs: 3000,
      minReady: 3,
      seed: 1,
      chaos: 'NodeChaos default/soak-kill',
      probeNode: 'node-1',
      eligibleNodes: 4,
      probeRate: 10,
      probeTimeoutMs: 1000,
    },
    samples: steady(0, 10_000, 100),
    kills: [
      { atMs: 0, nodes: ['node-3'], result: 'Injected', message: 'killed node-3' },
      { atMs: 2000, nodes: ['node-2'], result: 'Injected', message: 'killed node-2' },
      { atMs: 4000, nodes: ['node-2'], result: 'Skipped', message: 'would leave 2 Ready node(s)' },
    ],
    chaosEvents: { ChaosInjected: 2, ChaosSkipped: 1 },
    agentExits: 2,
    agentRestarts: 2,
    podsCreated: { total: 6, duringChaos: 2 },
    orphans: [],
    processesChecked: 8,
    objectsLost: [],
    rss: { startBytes: 60 * MiB, endBytes: 70 * MiB },
    settle: { settled: true, seconds: 1.5 },
    warnings: [],
    ...over,
  };
}

function property(r: ReturnType<typeof computeSoakReport>, name: string) {
  const p = r.properties.find((x) => x.name === name);
  assert.ok(p, `no property ${name}`);
  return p;
}

describe('soak report: figures from the samples', () => {
  it('measures availability and the longest outage over the chaos only, not the warmup', () => {
    const warmup = failAt(steady(-1000, 0, 100, 10, 500), [-500, -400]);
    const samples = [...warmup, ...failAt(steady(0, 10_000, 100), [3000, 3100, 3200, 7000])];
    const r = computeSoakReport(input({ samples }));
    assert.equal(r.requests.total, 100);
    assert.equal(r.requests.failed, 4);
    assert.equal(r.availability, 0.96);
    assert.equal(r.longestOutageSeconds, 0.3);
    assert.equal(r.outages.length, 2);
    assert.equal(r.errors['timeout after 1s'], 4);
  });

  it('holds availability at 99% and fails it below', () => {
    const at99 = computeSoakReport(input({ samples: failAt(steady(0, 10_000, 100), [5000]) }));
    assert.equal(at99.availability, 0.99);
    assert.equal(property(at99, 'availability').held, true);
    const below = computeSoakReport(input({ samples: failAt(steady(0, 10_000, 100), [5000, 5100]) }));
    assert.equal(property(below, 'availability').held, false);
    assert.equal(below.passed, false);
    assert.equal(exitCodeOf(below), 1);
  });

  it('fails availability when nothing was measured (a probe that died proves nothing)', () => {
    const r = computeSoakReport(input({ samples: [] }));
    assert.equal(property(r, 'availability').held, false);
    assert.equal(property(r, 'availability').measured, 'no request was measured');
  });

  it('counts requests the client numbered but never logged', () => {
    const samples = steady(0, 1000, 100).filter((s) => s.seq !== 4 && s.seq !== 5);
    assert.equal(unloggedOf(samples), 2);
    assert.equal(computeSoakReport(input({ samples, durationMs: 1000 })).requests.unlogged, 2);
    assert.equal(unloggedOf([]), 0);
  });
});

describe('soak report: the properties', () => {
  it('passes when everything held, with exit code 0', () => {
    const r = computeSoakReport(input());
    assert.deepEqual(
      r.properties.map((p) => [p.name, p.held]),
      [
        ['availability', true],
        ['orphans', true],
        ['objectsLost', true],
        ['rssGrowth', true],
        ['chaosRan', true],
      ],
    );
    assert.equal(r.passed, true);
    assert.equal(exitCodeOf(r), 0);
    assert.equal(r.nodesKilled, 2);
    assert.deepEqual([r.kills.injected, r.kills.skipped, r.kills.failed], [2, 1, 0]);
    assert.deepEqual(r.podsCreated, { total: 6, duringChaos: 2 });
  });

  it('fails on one orphan, naming it', () => {
    const r = computeSoakReport(
      input({
        orphans: [{ pid: 42, ppid: 1, cwd: '/d/nodes/node-2/pods/default_web-x_u1', cmdline: 'node http-echo', why: 'no live agent among its parents' }],
      }),
    );
    assert.equal(property(r, 'orphans').held, false);
    assert.equal(r.orphans.count, 1);
    assert.equal(r.orphans.processes[0]!.pid, 42);
    assert.match(renderSoakText(r), /orphan pid 42 in \/d\/nodes\/node-2\/pods\/default_web-x_u1: no live agent/);
    assert.equal(exitCodeOf(r), 1);
  });

  it('fails on a lost object, naming it', () => {
    const r = computeSoakReport(input({ objectsLost: ['Deployment default/web: 2 of 3 replicas Running'] }));
    assert.equal(property(r, 'objectsLost').held, false);
    assert.match(renderSoakText(r), /lost: Deployment default\/web: 2 of 3 replicas Running/);
  });

  it('allows the control plane 1.5 times its starting memory plus 20 MiB, and no more', () => {
    assert.equal(rssLimitBytes(60 * MiB), 110 * MiB);
    assert.equal(property(computeSoakReport(input({ rss: { startBytes: 60 * MiB, endBytes: 110 * MiB } })), 'rssGrowth').held, true);
    const grown = computeSoakReport(input({ rss: { startBytes: 60 * MiB, endBytes: 110 * MiB + 1 } }));
    assert.equal(property(grown, 'rssGrowth').held, false);
    assert.deepEqual(grown.controlPlaneRss, { startMiB: 60, endMiB: 110, limitMiB: 110 });
    assert.match(property(grown, 'rssGrowth').measured, /start 60 MiB, end 110 MiB/);
  });

  it('fails when the chaos killed nothing: nothing was tested', () => {
    const r = computeSoakReport(input({ kills: [{ atMs: 0, nodes: [], result: 'Skipped', message: 'no Ready node' }] }));
    assert.equal(property(r, 'chaosRan').held, false);
    assert.equal(r.passed, false);
  });

  it('marks end-state checks not made as such, and does not pass on them', () => {
    const { orphans: _o, objectsLost: _l, ...rest } = input();
    const r = computeSoakReport({ ...rest, rss: { startBytes: 60 * MiB } });
    assert.equal(property(r, 'orphans').held, null);
    assert.equal(property(r, 'objectsLost').held, null);
    assert.equal(property(r, 'rssGrowth').held, null);
    assert.equal(r.orphans.count, null);
    assert.equal(r.passed, false);
    assert.match(renderSoakText(r), /orphan processes\s+NOT CHECKED/);
  });

  it('exits 130 when interrupted, whatever held', () => {
    const r = computeSoakReport(input({ interrupted: true, durationMs: 4000 }));
    assert.equal(r.passed, true);
    assert.equal(exitCodeOf(r), 130);
    assert.equal(r.durationSeconds, 4);
    assert.equal(r.plannedDurationSeconds, 10);
    assert.match(renderSoakText(r), /^Soak INTERRUPTED/);
  });

  it('puts the kills on the chaos time axis, in order', () => {
    const r = computeSoakReport(input({ kills: [...input().kills].reverse() }));
    assert.deepEqual(
      r.kills.records.map((k) => [k.atSeconds, k.result]),
      [
        [0, 'Injected'],
        [2, 'Injected'],
        [4, 'Skipped'],
      ],
    );
  });
});

describe('soak: the record of kills', () => {
  const rec = (time: string, node: string, result: ChaosRecord['result'] = 'Injected'): ChaosRecord => ({
    time,
    action: 'kill',
    nodes: [node],
    result,
    message: `killed ${node}`,
  });

  it('merges status.records read again and again, each run once', () => {
    const log = new KillLog();
    assert.equal(log.merge([rec('2026-01-02T03:04:05.000Z', 'node-2')]).length, 1);
    // The controller keeps the newest 50: a later read has dropped the first and added others.
    const fresh = log.merge([rec('2026-01-02T03:04:10.000Z', 'node-3'), rec('2026-01-02T03:04:15.000Z', 'node-2', 'Skipped')]);
    assert.equal(fresh.length, 2);
    assert.equal(log.merge([rec('2026-01-02T03:04:10.000Z', 'node-3')]).length, 0);
    assert.equal(log.size, 3);
    assert.equal(log.injected, 2);
    assert.deepEqual(
      log.kills(T0).map((k) => [k.atMs, k.nodes[0], k.result]),
      [
        [0, 'node-2', 'Injected'],
        [5000, 'node-3', 'Injected'],
        [10_000, 'node-2', 'Skipped'],
      ],
    );
  });

  it('counts Events on the chaos object by reason, each folded Event by its highest count', () => {
    const ev = (reason: string, message: string, count?: number, object = 'NodeChaos/soak-kill') => ({
      object,
      reason,
      message,
      source: 'event' as const,
      ...(count ? { count } : {}),
    });
    const counts = eventCounts(
      [
        ev('ChaosInjected', 'killed node-2'),
        ev('ChaosInjected', 'killed node-3'),
        ev('ChaosInjected', 'killed node-2', 3),
        ev('ChaosInjected', 'killed node-2', 2),
        ev('ChaosSkipped', 'would leave 1 Ready node'),
        ev('ChaosInjected', 'node killed', 1, 'Node/node-2'),
        { object: 'NodeChaos/soak-kill', reason: 'Ready=False', message: 'x', source: 'node' as const },
      ],
      'NodeChaos/soak-kill',
    );
    assert.deepEqual(counts, { ChaosInjected: 4, ChaosSkipped: 1 });
  });
});
