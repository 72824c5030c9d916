import assert from 'node:assert/strict';
import { defaultMinReady, parseSoakCommandLine, RunnerUsageError as UsageError } from '@kip/scripts';
import { runsIn, scheduleDuration, soakChaos } from '@kip/scripts';

describe('soak command line: what it means', () => {
  it('defaults to 20 nodes, 10 minutes, a kill every 5 s, killed nodes coming back after 3 s', () => {
    const o = parseSoakCommandLine([]);
    assert.deepEqual(
      {
        nodes: o.nodes,
        durationMs: o.durationMs,
        intervalMs: o.intervalMs,
        restartNodes: o.restartNodes,
        restartDelayMs: o.restartDelayMs,
        minReady: o.minReady,
        keep: o.keep,
        seed: o.seed,
      },
      { nodes: 20, durationMs: 600_000, intervalMs: 5000, restartNodes: true, restartDelayMs: 3000, minReady: 18, keep: false, seed: undefined },
    );
  });

  it('reads every flag', () => {
    const o = parseSoakCommandLine([
      '--nodes',
      '4',
      '--duration',
      '20s',
      '--interval=4s',
      '--seed',
      '7',
      '--out',
      'x',
      '--keep',
      '--quiet',
      '--min-ready',
      '1',
      '--restart-delay',
      '500ms',
    ]);
    assert.equal(o.nodes, 4);
    assert.equal(o.durationMs, 20_000);
    assert.equal(o.intervalMs, 4000);
    assert.equal(o.seed, 7);
    assert.equal(o.out, 'x');
    assert.equal(o.keep, true);
    assert.equal(o.quiet, true);
    assert.equal(o.minReady, 1);
    assert.equal(o.restartDelayMs, 500);
  });

  it('--restart-nodes is the default; --no-restart-nodes leaves killed nodes down', () => {
    assert.equal(parseSoakCommandLine(['--restart-nodes']).restartNodes, true);
    assert.equal(parseSoakCommandLine(['--no-restart-nodes']).restartNodes, false);
  });

  it('keeps at most two nodes down by default, and never the last one', () => {
    assert.equal(defaultMinReady(20), 18);
    assert.equal(defaultMinReady(4), 2);
    assert.equal(defaultMinReady(2), 1);
    assert.equal(parseSoakCommandLine(['--nodes', '5']).minReady, 3);
  });

  it('--help wins over everything else', () => assert.equal(parseSoakCommandLine(['--nodes', 'x', '--help']).help, true));
});

describe('soak command line: refusals name the flag at fault, in one line', () => {
  const cases: { name: string; argv: string[]; want: RegExp }[] = [
    { name: 'an unknown flag', argv: ['--nodez', '3'], want: /^--nodez: unknown flag$/ },
    { name: 'an unknown short flag', argv: ['-x'], want: /^-x: unknown flag$/ },
    { name: 'a flag without its value', argv: ['--duration'], want: /^--duration: needs a value$/ },
    { name: 'a value for a switch', argv: ['--keep=yes'], want: /^--keep: takes no value$/ },
    { name: 'one node (none left to kill)', argv: ['--nodes', '1'], want: /^--nodes: "1" must be a whole number from 2 to 100/ },
    { name: 'a node count that is not a number', argv: ['--nodes', 'many'], want: /^--nodes: "many"/ },
    { name: 'a fractional node count', argv: ['--nodes', '2.5'], want: /^--nodes: "2.5"/ },
    { name: 'a duration that is not one', argv: ['--duration', 'soon'], want: /^--duration: "soon" is not a duration/ },
    {
      name: 'an interval under the 1 s floor of a chaos schedule',
      argv: ['--interval', '500ms'],
      want: /^--interval: "500ms" is too short; it must be at least 1s$/,
    },
    { name: 'a seed out of range', argv: ['--seed', '4294967296'], want: /^--seed: "4294967296" must be a whole number from 0 to 4294967295$/ },
    { name: 'a negative seed', argv: ['--seed=-1'], want: /^--seed: "-1"/ },
    { name: 'a minReady that would skip every kill', argv: ['--nodes', '4', '--min-ready', '4'], want: /^--min-ready: "4" must be a whole number from 0 to 3/ },
    { name: 'both restart switches', argv: ['--restart-nodes', '--no-restart-nodes'], want: /^--restart-nodes and --no-restart-nodes contradict/ },
    { name: 'a restart delay for nodes that stay down', argv: ['--no-restart-nodes', '--restart-delay', '1s'], want: /^--restart-delay: / },
    { name: 'an empty --out', argv: ['--out', ' '], want: /^--out: must name a directory$/ },
    { name: 'a positional argument', argv: ['now'], want: /^unexpected argument "now"/ },
  ];
  for (const c of cases)
    it(`refuses ${c.name}`, () =>
      assert.throws(
        () => parseSoakCommandLine(c.argv),
        (err: unknown) => err instanceof UsageError && c.want.test(err.message) && !err.message.includes('\n'),
      ));
});

describe('soak: the NodeChaos it creates', () => {
  it('kills one eligible node each interval, as many runs as fit in the duration, with minReady and the seed', () => {
    const o = { ...parseSoakCommandLine(['--nodes', '4', '--duration', '20s', '--interval', '4s']), seed: 9 };
    const step = soakChaos(o, ['node-2', 'node-3', 'node-4']);
    assert.equal(step.kind, 'NodeChaos');
    assert.deepEqual(step.spec, {
      action: 'kill',
      mode: 'one',
      selector: { nodes: ['node-2', 'node-3', 'node-4'] },
      schedule: { interval: '4s', count: 5 },
      minReady: 2,
      seed: 9,
    });
  });

  it('counts the runs: the first at once, then one each interval before the end', () => {
    assert.equal(runsIn(20_000, 4000), 5);
    assert.equal(runsIn(21_000, 4000), 6);
    assert.equal(runsIn(600_000, 5000), 120);
    assert.equal(runsIn(2000, 5000), 1);
  });

  it('writes an interval the schedule reads back exactly', () => {
    assert.equal(scheduleDuration(5000), '5s');
    assert.equal(scheduleDuration(90_000), '1m30s');
    assert.equal(scheduleDuration(1500), '1500ms');
  });
});
