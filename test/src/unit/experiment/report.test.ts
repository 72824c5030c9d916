import assert from 'node:assert/strict';
import { phasesOf } from '@kip/scripts';
import { computeReport, type ReportInput } from '@kip/scripts';
import { outagesOf, percentile, recoveryOf } from '@kip/scripts';
import { failAt, heal, inject, steady } from './fixtures.js';

function input(over: Partial<ReportInput>): ReportInput {
  return { name: 'x', startTime: Date.UTC(2026, 0, 2, 3, 4, 5), durationMs: 2000, sustainMs: 1000, samples: [], steps: [], events: [], ...over };
}

describe('experiment report: percentiles', () => {
  const cases: { name: string; values: number[]; p: number; want: number | undefined }[] = [
    { name: 'no values have no percentile', values: [], p: 50, want: undefined },
    { name: 'one value is every percentile', values: [7], p: 99, want: 7 },
    { name: 'p50 of three is the middle one, whatever the order', values: [5, 1, 3], p: 50, want: 3 },
    { name: 'p99 of three is the largest (rank ceil(2.97) = 3)', values: [5, 1, 3], p: 99, want: 5 },
    { name: 'p50 of 1..100 is 50 (nearest rank, no interpolation)', values: Array.from({ length: 100 }, (_, i) => i + 1), p: 50, want: 50 },
    { name: 'p99 of 1..100 is 99', values: Array.from({ length: 100 }, (_, i) => i + 1), p: 99, want: 99 },
    { name: 'p99 of 1..10 is 10', values: Array.from({ length: 10 }, (_, i) => i + 1), p: 99, want: 10 },
    { name: 'p0 is the smallest', values: [4, 2, 9], p: 0, want: 2 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(percentile(c.values, c.p), c.want));
});

describe('experiment report: outages', () => {
  it('measures each run of failures from its first failure to the next success', () => {
    const samples = failAt(steady(0, 2000, 100), [500, 600, 700, 1200]);
    assert.deepEqual(outagesOf(samples, 2000), [
      { startMs: 500, endMs: 800, failures: 3 },
      { startMs: 1200, endMs: 1300, failures: 1 },
    ]);
  });

  it('ends a run still failing at the end of the measurement there', () => {
    const samples = failAt(steady(0, 2000, 100), [1800, 1900]);
    assert.deepEqual(outagesOf(samples, 2000), [{ startMs: 1800, endMs: 2000, failures: 2 }]);
  });

  it('has none when nothing failed', () => {
    assert.deepEqual(outagesOf(steady(0, 1000, 100), 1000), []);
  });
});

describe('experiment report: headline figures', () => {
  it('counts availability over the timeline only, and the longest outage in seconds', () => {
    const warmup = failAt(steady(-1000, 0, 100, 10, 100), [-500, -400]);
    const samples = [...warmup, ...failAt(steady(0, 2000, 100), [500, 600, 700, 1200, 1800, 1900])];
    const r = computeReport(input({ samples }));
    assert.equal(r.requests.total, 20);
    assert.equal(r.requests.ok, 14);
    assert.equal(r.requests.failed, 6);
    assert.equal(r.availability, 14 / 20);
    assert.equal(r.longestOutageSeconds, 0.3);
    assert.deepEqual(
      r.outages.map((o) => [o.startSeconds, o.endSeconds, o.durationSeconds, o.failures]),
      [
        [0.5, 0.8, 0.3, 3],
        [1.2, 1.3, 0.1, 1],
        [1.8, 2, 0.2, 2],
      ],
    );
    assert.equal(r.startTime, '2026-01-02T03:04:05.000Z');
    assert.equal(r.samples.errors['timeout after 1s'], 6);
    assert.equal(r.samples.byPod['web-a'], 14);
  });

  it('leaves out requests sent at or after the end', () => {
    const r = computeReport(input({ samples: steady(0, 2500, 100) }));
    assert.equal(r.requests.total, 20);
  });

  it('orders requests by send time, not by when they ended', () => {
    // #2 was sent later but answered first; #1 timed out. The outage lasts until #2 was sent.
    const samples = [
      { seq: 2, t: 150, latencyMs: 5, ok: true },
      { seq: 1, t: 100, latencyMs: 1000, ok: false, error: 'timeout' },
      { seq: 0, t: 0, latencyMs: 5, ok: true },
    ];
    const r = computeReport(input({ samples }));
    assert.equal(r.longestOutageSeconds, 0.05);
  });

  it('reports zero availability and no latency when nothing was measured', () => {
    const r = computeReport(input({}));
    assert.equal(r.availability, 0);
    assert.equal(r.longestOutageSeconds, 0);
    assert.deepEqual(r.latency, { p50Ms: null, p99Ms: null, maxMs: null });
  });

  it('takes latency percentiles over successful requests only', () => {
    const samples = steady(0, 1000, 100).map((s, i) => ({ ...s, latencyMs: i + 1 }));
    samples.push({ seq: 99, t: 950, latencyMs: 1000, ok: false, error: 'timeout' });
    const r = computeReport(input({ samples, durationMs: 1000 }));
    assert.deepEqual(r.latency, { p50Ms: 5, p99Ms: 10, maxMs: 10 });
  });
});

describe('experiment report: time to recover', () => {
  // A request every 100 ms for 5 s; the fault at 1 s; successes must hold 1 s.
  const base = () => steady(0, 5000, 100);

  it('is from injection to the first success after the last failure, when successes then hold', () => {
    const samples = failAt(base(), [1100, 1200, 1300, 1400, 1500, 1800]);
    const r = computeReport(input({ samples, durationMs: 5000, steps: [inject('kill', 1000)] }));
    assert.equal(r.faults.length, 1);
    const f = r.faults[0]!;
    assert.equal(f.failures, 6);
    assert.equal(f.firstFailureSeconds, 1.1);
    assert.equal(f.lastFailureSeconds, 1.8);
    assert.equal(f.recovered, true);
    assert.equal(f.timeToRecoverSeconds, 0.9);
    assert.equal(f.healedAtSeconds, null);
  });

  it('is zero for a fault during which nothing failed', () => {
    const r = computeReport(input({ samples: base(), durationMs: 5000, steps: [inject('kill', 1000)] }));
    assert.equal(r.faults[0]!.recovered, true);
    assert.equal(r.faults[0]!.timeToRecoverSeconds, 0);
    assert.equal(r.faults[0]!.failures, 0);
  });

  it('is not reached while failures last to the end', () => {
    const times = Array.from({ length: 40 }, (_, i) => 1000 + i * 100);
    const r = computeReport(input({ samples: failAt(base(), times), durationMs: 5000, steps: [inject('kill', 1000)] }));
    assert.equal(r.faults[0]!.recovered, false);
    assert.equal(r.faults[0]!.timeToRecoverSeconds, null);
  });

  it('is not reached when the successes after the last failure did not last the sustain time before the end', () => {
    const r = computeReport(input({ samples: failAt(base(), [4400]), durationMs: 5000, steps: [inject('kill', 1000)] }));
    assert.equal(r.faults[0]!.recovered, false);
  });

  it('judges each fault on the requests up to the next injection', () => {
    const samples = failAt(base(), [1100, 1200, 3100, 3200, 3300]);
    const steps = [inject('first', 1000), inject('second', 3000)];
    const r = computeReport(input({ samples, durationMs: 5000, steps }));
    assert.deepEqual(
      r.faults.map((f) => [f.name, f.failures, f.timeToRecoverSeconds]),
      [
        ['first', 2, 0.3],
        ['second', 3, 0.4],
      ],
    );
  });

  it('is not sustained when the next fault breaks the successes within the sustain time', () => {
    const samples = failAt(base(), [1100, 1600]);
    const r = computeReport(input({ samples, durationMs: 5000, steps: [inject('first', 1000), inject('second', 1500)] }));
    assert.equal(r.faults[0]!.recovered, false);
    assert.equal(r.faults[1]!.timeToRecoverSeconds, 0.2);
  });

  it('checks the rule directly: recovery needs the sustain window inside the measurement', () => {
    const samples = failAt(base(), [2000]);
    assert.deepEqual(recoveryOf(samples, 1000, 5000, 1000, 5000), {
      failures: 1,
      firstFailureMs: 2000,
      lastFailureMs: 2000,
      recoveredAtMs: 2100,
      recovered: true,
    });
    assert.equal(recoveryOf(samples, 1000, 5000, 3000, 5000).recovered, false);
  });
});

describe('experiment report: phases', () => {
  const steps = [inject('a', 1000, { durationMs: 2000 }), inject('b', 2000, { kind: 'NetworkChaos', action: 'partition' }), heal(4000, 'b')];

  it('cuts at every step and at a fault healing itself, naming each by the faults active', () => {
    assert.deepEqual(
      phasesOf(steps, 5000).map((p) => [p.name, p.startMs, p.endMs]),
      [
        ['before', 0, 1000],
        ['during a', 1000, 2000],
        ['during a + b', 2000, 3000],
        ['during b', 3000, 4000],
        ['after b', 4000, 5000],
      ],
    );
  });

  it('gives each phase its requests, availability and latency', () => {
    const samples = failAt(
      steady(0, 5000, 100).map((s) => ({ ...s, latencyMs: s.t >= 2000 && s.t < 4000 ? 200 + (s.t % 1000) / 100 : 10 })),
      [2500, 2600],
    );
    const r = computeReport(input({ samples, durationMs: 5000, steps }));
    assert.deepEqual(
      r.phases.map((p) => [p.name, p.startSeconds, p.endSeconds, p.requests, p.failed, p.availability, p.p50Ms, p.p99Ms]),
      [
        ['before', 0, 1, 10, 0, 1, 10, 10],
        ['during a', 1, 2, 10, 0, 1, 10, 10],
        // the ok latencies are 200..204 and 207..209: the 4th of 8 is 203
        ['during a + b', 2, 3, 10, 2, 0.8, 203, 209],
        ['during b', 3, 4, 10, 0, 1, 204, 209],
        ['after b', 4, 5, 10, 0, 1, 10, 10],
      ],
    );
    assert.deepEqual(
      r.faults.map((f) => [f.name, f.healedAtSeconds, f.healedBy]),
      [
        ['a', 3, 'duration'],
        ['b', 4, 'step'],
      ],
    );
  });

  it('does not count a failed injection as a fault', () => {
    const spans = phasesOf([inject('x', 500, { error: 'refused' }), inject('y', 1000)], 2000);
    assert.deepEqual(
      spans.map((p) => [p.name, p.startMs, p.endMs]),
      [
        ['before', 0, 1000],
        ['during y', 1000, 2000],
      ],
    );
    const r = computeReport(input({ steps: [inject('x', 500, { error: 'refused' })] }));
    assert.equal(r.faults.length, 0);
    assert.equal(r.steps[0]!.error, 'refused');
  });

  it('ends a fault where its controller reported it recovered, if that came first', () => {
    const restart = { ...inject('restart-3', 1000, { action: 'restart' }), recoveredAtMs: 2500 };
    assert.deepEqual(
      phasesOf([restart], 4000).map((p) => [p.name, p.startMs, p.endMs]),
      [
        ['before', 0, 1000],
        ['during restart-3', 1000, 2500],
        ['after restart-3', 2500, 4000],
      ],
    );
    const r = computeReport(input({ durationMs: 4000, steps: [restart, heal(3000, 'restart-3')] }));
    assert.deepEqual([r.faults[0]!.healedAtSeconds, r.faults[0]!.healedBy], [2.5, 'recovered']);
  });

  it('is one phase for a run without a timeline', () => {
    assert.deepEqual(phasesOf([], 3000), [{ name: 'before', startMs: 0, endMs: 3000, active: [] }]);
  });
});

describe('experiment report: events', () => {
  it('puts events on the same axis, in order, in seconds', () => {
    const r = computeReport(
      input({
        events: [
          { atMs: 1500, object: 'Node/node-3', reason: 'Ready=Unknown', message: 'Ready True -> Unknown', type: 'Warning', source: 'node' },
          { atMs: -250, object: 'Pod/web-1', reason: 'Scheduled', message: 'assigned', type: 'Normal', source: 'event' },
        ],
      }),
    );
    assert.deepEqual(
      r.events.map((e) => [e.atSeconds, e.object, e.reason]),
      [
        [-0.25, 'Pod/web-1', 'Scheduled'],
        [1.5, 'Node/node-3', 'Ready=Unknown'],
      ],
    );
  });
});
