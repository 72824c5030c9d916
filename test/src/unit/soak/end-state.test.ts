import assert from 'node:assert/strict';
import { lostObjects } from '@kip/scripts';
import { findOrphans, parseStat, podOfDir, processesUnder, type ProcessInfo } from '@kip/scripts';

const DIR = '/tmp/kip-soak-abc';
const pod = (node: string, uid: string) => `${DIR}/nodes/${node}/pods/default_web-5d9c-x2x9z_${uid}`;

describe('soak: reading /proc', () => {
  it('finds the parent after a command that holds spaces and parentheses', () => {
    assert.deepEqual(parseStat('1234 (node (x) y) S 77 1234 1234 0 -1 4194560'), { state: 'S', ppid: 77 });
    assert.deepEqual(parseStat('9 (sh) Z 1 9 9'), { state: 'Z', ppid: 1 });
    assert.equal(parseStat('garbage'), undefined);
  });

  it('reads the node and the pod uid from a pod directory, and nothing from elsewhere', () => {
    assert.deepEqual(podOfDir(DIR, pod('node-2', 'u-1')), { node: 'node-2', uid: 'u-1' });
    assert.deepEqual(podOfDir(DIR, `${pod('node-2', 'u-1')}/work/dir`), { node: 'node-2', uid: 'u-1' });
    assert.deepEqual(podOfDir(DIR, `${DIR}/nodes/node-3`), { node: 'node-3' });
    assert.equal(podOfDir(DIR, '/home/me'), undefined);
    assert.equal(podOfDir(DIR, `${DIR}-other/nodes/node-1`), undefined);
    assert.equal(podOfDir(DIR, DIR), undefined);
  });

  it("takes processes in the data dir, or naming it, as the cluster's", () => {
    const procs: ProcessInfo[] = [
      { pid: 10, ppid: 1, cwd: '/work', cmdline: `kip-controlplane --data-dir ${DIR}` },
      { pid: 11, ppid: 10, cwd: pod('node-1', 'u'), cmdline: 'node echo' },
      { pid: 12, ppid: 1, cwd: '/work', cmdline: 'vim' },
      { pid: 13, ppid: 1, cwd: `${DIR}-other`, cmdline: 'sleep 1' },
    ];
    assert.deepEqual(
      processesUnder(procs, DIR, 0).map((p) => p.pid),
      [10, 11],
    );
  });
});

describe('soak: orphan processes', () => {
  // agent 100 runs node-1, agent 200 node-2; 300 was node-3's agent, killed.
  const agents = new Map([
    [100, 'node-1'],
    [200, 'node-2'],
  ]);
  const pods = new Set(['u-a', 'u-b']);
  const procs: ProcessInfo[] = [
    { pid: 100, ppid: 50, cwd: '/work', cmdline: 'kip-agent node-1' },
    { pid: 200, ppid: 50, cwd: '/work', cmdline: 'kip-agent node-2' },
    // a container (group leader) of a live pod, its watcher and a child it forked
    { pid: 101, ppid: 100, cwd: pod('node-1', 'u-a'), cmdline: 'node http-echo' },
    { pid: 102, ppid: 101, cwd: pod('node-1', 'u-a'), cmdline: '/bin/sh -c watcher' },
    { pid: 103, ppid: 101, cwd: `${pod('node-1', 'u-a')}/tmp`, cmdline: 'sleep 100' },
    { pid: 201, ppid: 200, cwd: pod('node-2', 'u-b'), cmdline: 'node client' },
  ];

  it("finds none when every process descends from its node's live agent and its pod exists", () => {
    assert.deepEqual(findOrphans(procs, { dataDir: DIR, agents, pods }), []);
  });

  it('finds a process whose agent died (reparented to init)', () => {
    const orphans = findOrphans([...procs, { pid: 301, ppid: 1, cwd: pod('node-3', 'u-c'), cmdline: 'node http-echo' }], { dataDir: DIR, agents, pods });
    assert.deepEqual(
      orphans.map((o) => o.pid),
      [301],
    );
    assert.match(orphans[0]!.why, /no live agent among its parents \(its directory is node node-3's\)/);
  });

  it('finds a process still run by its agent for a pod that no longer exists', () => {
    const orphans = findOrphans([...procs, { pid: 105, ppid: 100, cwd: pod('node-1', 'u-gone'), cmdline: 'node http-echo' }], { dataDir: DIR, agents, pods });
    assert.deepEqual(
      orphans.map((o) => o.pid),
      [105],
    );
    assert.match(orphans[0]!.why, /its pod \(uid u-gone\) no longer exists/);
  });

  it("finds a process in one node's directory under another node's agent", () => {
    const orphans = findOrphans([...procs, { pid: 205, ppid: 200, cwd: pod('node-1', 'u-a'), cmdline: 'x' }], { dataDir: DIR, agents, pods });
    assert.match(orphans[0]!.why, /node node-1's but its agent is node-2's \(pid 200\)/);
  });

  it('survives a loop in the parent links', () => {
    const loop: ProcessInfo[] = [
      { pid: 7, ppid: 8, cwd: pod('node-1', 'u-a'), cmdline: 'a' },
      { pid: 8, ppid: 7, cwd: '/', cmdline: 'b' },
    ];
    assert.equal(findOrphans(loop, { dataDir: DIR, agents, pods }).length, 1);
  });
});

describe('soak: objects lost', () => {
  const before = new Map([
    ['Deployment default/web', 'd1'],
    ['Service default/web', 's1'],
    ['Pod default/soak-probe', 'p1'],
    ['Node node-1', 'n1'],
    ['Node node-2', 'n2'],
  ]);

  it('loses nothing when every object is the same one and the replicas run', () => {
    assert.deepEqual(lostObjects(before, new Map(before), [{ what: 'Deployment default/web', want: 3, running: 3 }]), []);
  });

  it('names an object gone, one replaced by another of the same name, and missing replicas', () => {
    const after = new Map(before);
    after.delete('Pod default/soak-probe');
    after.set('Node node-2', 'n2-new');
    assert.deepEqual(lostObjects(before, after, [{ what: 'Deployment default/web', want: 3, running: 2 }], ['Pod default/x: Failed']), [
      'Pod default/soak-probe: gone',
      'Node node-2: replaced by another object of the same name (uid n2, now n2-new)',
      'Deployment default/web: 2 of 3 replicas Running',
      'Pod default/x: Failed',
    ]);
  });
});
