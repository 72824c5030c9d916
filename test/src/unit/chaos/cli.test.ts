// `npm run chaos` in-process against an in-process control plane (no agents): each command makes
// the object its YAML form would be, says what it did and how to undo it, `--dry-run -o yaml`
// prints the object and previews the choice, bad input exits 2 with a message naming the
// problem, and `kip get` / `kip describe` show fault objects with their own columns and records.

import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { ControlPlane } from '@kip/controlplane';
import { CHAOS_API_VERSION, silentLogger, type Node, type NetworkChaos, type NodeChaos } from '@kip/shared';
import { chaosMain as chaos } from '@kip/scripts';
import { bufferIO } from '@kip/scripts';
import { main as kip } from '@kip/scripts';
import { eventually } from '../../helpers/wait.js';

describe('chaos: the npm run chaos command line', function () {
  this.timeout(20_000);
  let cp: ControlPlane;
  let url: string;

  before(async () => {
    cp = new ControlPlane({ joinToken: 'test', log: silentLogger, port: 0 });
    url = (await cp.start()).url;
    for (const name of ['node-1', 'node-2', 'node-3']) {
      const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { zone: name === 'node-1' ? 'a' : 'b' } }, spec: {} };
      cp.store.create(node);
    }
  });

  after(async () => {
    await cp?.stop();
  });

  async function run(argv: string[], main = chaos) {
    const io = bufferIO({ env: { KIP_SERVER: url } });
    const code = await main(argv, io);
    return { code, out: io.stdout.text(), err: io.stderr.text() };
  }

  it('prints the YAML form with --dry-run -o yaml, and previews the seeded choice', async () => {
    const r = await run([
      'delay',
      'node-1',
      '--latency',
      '100ms',
      '--jitter',
      '20ms',
      '--to',
      'node-2',
      '--duration',
      '1m',
      '--dry-run',
      '-o',
      'yaml',
      '--seed',
      '7',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(parse(r.out), {
      apiVersion: CHAOS_API_VERSION,
      kind: 'NetworkChaos',
      metadata: { generateName: 'delay-node-1-', namespace: 'default', labels: { 'chaos.kip.dev/cli': 'delay' } },
      spec: {
        action: 'delay',
        selector: { nodes: ['node-1'] },
        direction: 'to',
        target: { selector: { nodes: ['node-2'] } },
        delay: { latency: '100ms', jitter: '20ms' },
        duration: '1m',
        seed: 7,
      },
    });
    assert.match(r.err, /dry run: would create networkchaos\/delay-node-1-<suffix>: delay 100ms ±20ms node-1 -> node-2 for 1m \(seed 7\); nothing was created/);
    assert.match(r.err, /first run: delay on node-1 -> node-2/);
    assert.equal(cp.store.list('NetworkChaos').items.length, 0);
    const random = await run(['pause', '--random', '-l', 'zone=b', '--duration', '5s', '--dry-run', '--seed', '3']);
    assert.match(random.out, /would create nodechaos\/pause-random-<suffix>: pause one random node of nodes labelled zone=b for 5s/);
  });

  it('isolate cuts a node from every other node and the control plane', async () => {
    const r = await run(['isolate', 'node-3', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    const obj = JSON.parse(r.out) as NetworkChaos;
    assert.deepEqual(obj.spec.target, { mode: 'all', controlPlane: true });
    assert.equal(obj.spec.action, 'partition');
    assert.equal(obj.spec.direction, 'both');
  });

  it('creates the object, says what happened and how to undo it; heal deletes it', async () => {
    const r = await run(['partition', 'node-1,node-2', 'node-3', '--duration', '30s', '--seed', '11']);
    assert.equal(r.code, 0, r.err);
    const name = /networkchaos\/(partition-node-1-node-2-\w{5}) created: partition node-1, node-2 <-> node-3 for 30s \(seed 11\)/.exec(r.out)?.[1];
    assert.ok(name, r.out);
    assert.match(r.out, /injected: partition on node-1, node-2 <-> node-3 for 30s/);
    assert.match(r.out, new RegExp(`undo: npm run chaos -- heal ${name}`));
    const obj = cp.store.get<NetworkChaos>('NetworkChaos', 'default', name)!;
    assert.deepEqual(obj.spec.target, { selector: { nodes: ['node-3'] } });

    const list = await run(['get', 'networkchaos'], kip);
    assert.match(list.out, /^NAME\s+ACTION\s+MODE\s+DURATION\s+PHASE\s+RUNS\s+AGE\n/);
    assert.match(list.out, new RegExp(`${name}\\s+partition\\s+all\\s+30s\\s+Injected\\s+1\\s+\\d+s`));
    const described = await run(['describe', 'networkchaos', name], kip);
    assert.match(described.out, /Action:\s+partition/);
    assert.match(described.out, /Target:\s+nodes=node-3/);
    assert.match(described.out, /Records:\n\s+Time\s+Result\s+Nodes\s+Targets\s+Message\n/);
    assert.match(described.out, /Injected\s+node-1,node-2\s+node-3\s+partition on node-1, node-2 <-> node-3 for 30s/);
    assert.match(described.out, /ChaosInjected/);

    const healed = await run(['heal', name]);
    assert.equal(healed.code, 0, healed.err);
    assert.match(healed.out, new RegExp(`networkchaos/${name} deleted: healed`));
    await eventually('the object to be gone', () => cp.store.get('NetworkChaos', 'default', name) === undefined);
  });

  it('heal --all deletes every fault object; heal alone asks for names', async () => {
    await run(['kill', 'node-1', '--name', 'k1']);
    const bare = await run(['heal']);
    assert.equal(bare.code, 2);
    assert.match(bare.err, /heal needs the names of fault objects, or --all \(in namespace default: k1\)/);
    const r = await run(['heal', '--all']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /nodechaos\/k1 deleted: healed/);
    assert.equal(cp.store.list<NodeChaos>('NodeChaos').items.length, 0);
    const none = await run(['heal', 'nothing-here']);
    assert.equal(none.code, 1);
    assert.match(none.err, /no fault object named "nothing-here"/);
  });

  const bad: [string, string[], RegExp][] = [
    ['an unknown node', ['kill', 'node-9'], /node node-9 not found \(nodes: node-1, node-2, node-3/],
    ['an unknown target node', ['delay', 'node-1', '--latency', '5ms', '--to', 'node-7'], /node node-7 not found/],
    ['a negative duration', ['pause', 'node-2', '--duration', '-5s'], /invalid argument "-5s" for "--duration" flag: .*not negative/],
    ['a duration that is not one', ['pause', 'node-2', '--duration', 'soon'], /invalid argument "soon" for "--duration" flag/],
    ['a pause without a duration', ['pause', 'node-2'], /pause needs --duration/],
    ['a bad mode', ['kill', '--mode', 'most'], /invalid argument "most" for "--mode" flag: must be one of one, all, fixed/],
    ['a flag of another action', ['kill', 'node-1', '--latency', '5ms'], /--latency does not apply to kill/],
    ['an unknown flag', ['kill', 'node-1', '--loudly'], /unknown flag: --loudly/],
    ['an unknown action', ['explode', 'node-1'], /unknown action "explode"/],
    ['a bad rate', ['bandwidth', 'node-1', '--rate', 'fast'], /invalid argument "fast" for "--rate" flag/],
    ['a bad probability', ['reset', 'node-1', '--probability', '2'], /invalid argument "2" for "--probability" flag/],
    ['no nodes', ['kill'], /kill needs nodes: name them/],
    ['a count without a schedule', ['kill', '--random', '--count', '3'], /--count needs --interval or --cron/],
    ['a bad cron', ['kill', '--random', '--cron', '* *'], /--cron: "\* \*" has 2 field\(s\)/],
  ];
  for (const [what, argv, re] of bad) {
    it(`exits 2 on ${what}`, async () => {
      const r = await run(argv);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, re);
      assert.match(r.err, /Run 'npm run chaos -- --help' for usage/);
    });
  }

  it('prints its usage with --help', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /usage: npm run chaos -- ACTION/);
    assert.match(r.out, /--min-ready n/);
  });
});
