// A real Kubelet running real processes: starting, serving, stopping, and the reporting around it.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleted, Harness, makePod, NODE, pgidOf, pidAlive, pidOf, waitFor } from './harness.js';

/** Whether a process has a handler for SIGTERM (bit 15 of SigCgt in /proc/PID/status). */
function catchesSigterm(pid: number): boolean {
  const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return caught !== undefined && (BigInt(`0x${caught}`) & (1n << 14n)) !== 0n;
}

describe('kubelet: pod lifecycle with real processes', function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('runs pause as a live process in its own process group and reports it Running and Ready', async () => {
    const pod = makePod('pause-1', [{ name: 'pause', image: 'registry.k8s.io/pause:3.9' }]);
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'Ready', (s) => s.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    assert.equal(st.phase, 'Running');
    assert.equal(st.hostIP, '127.0.0.1');
    assert.match(st.podIP ?? '', /^10\.244\.1\.\d+$/);
    assert.deepEqual(st.podIPs, [{ ip: st.podIP }]);
    assert.equal(st.qosClass, 'BestEffort');
    assert.ok(st.startTime);
    assert.deepEqual(
      st.conditions?.map((c) => [c.type, c.status]),
      [
        ['Initialized', 'True'],
        ['Ready', 'True'],
        ['ContainersReady', 'True'],
        ['PodScheduled', 'True'],
      ],
    );
    assert.equal(st.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime, '2026-01-01T00:00:00Z');
    const cs = st.containerStatuses![0]!;
    assert.equal(cs.name, 'pause');
    assert.ok(cs.state.running?.startedAt);
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.restartCount, 0);
    assert.equal(cs.image, 'registry.k8s.io/pause:3.9');
    assert.equal(cs.imageID, 'kip://pause');
    const pid = pidOf(cs.containerID);
    assert.ok(pidAlive(pid), 'the container process runs');
    assert.equal(pgidOf(pid), pid, 'the container leads its own process group');
    assert.notEqual(pgidOf(pid), pgidOf(process.pid));
    assert.deepEqual(h.kubelet.running(), [{ namespace: 'default', name: 'pause-1', uid: pod.metadata.uid }]);
    assert.deepEqual(
      h.podEvents(pod).map((e) => e.reason),
      ['Pulled', 'Created', 'Started'],
    );
    assert.equal(h.podEvents(pod)[2]!.involvedObject.fieldPath, 'spec.containers{pause}');
  });

  it('runs http-echo on its host port with its pod name, env and Downward API variables', async () => {
    const pod = makePod('echo-1', [
      {
        name: 'web',
        image: 'hashicorp/http-echo:1.0',
        args: ['-text=hello'],
        ports: [{ name: 'http', containerPort: 5678 }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '512Mi' } },
      },
      {
        name: 'side',
        command: ['sh', '-c', 'env > env.txt; pwd > pwd.txt; exec sleep 1000'],
        workingDir: 'work',
        env: [
          { name: 'GREETING', value: 'hi $(POD_NAME) $$(POD_NAME)' },
          { name: 'MY_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'PORT_ADMIN', value: 'overridden' },
        ],
        ports: [{ containerPort: 9000 }, { name: 'admin', containerPort: 9001 }],
      },
    ]);
    const extra = new Harness(undefined, () => ({ WEB_SERVICE_HOST: '10.96.0.10', GREETING: 'from-extra' }));
    try {
      extra.kubelet.sync([pod]);
      const st = await extra.waitStatus(pod, 'both running', (s) => s.containerStatuses?.every((c) => c.state.running) === true && !!s.kipHostPorts);
      assert.equal(st.qosClass, 'Burstable');
      const ports = st.kipHostPorts!;
      assert.deepEqual(Object.keys(ports).sort(), ['side/9000', 'side/9001', 'web/5678']);
      assert.equal(new Set(Object.values(ports)).size, 3, 'each declared port gets its own host port');
      // Its args reached it: with -text it answers that text, as hashicorp/http-echo does.
      assert.equal(await waitForHttp(`http://127.0.0.1:${ports['web/5678']}/hello`), 'hello\n');
      // Its health answer names the pod from the Downward API variables the kubelet set.
      const json = JSON.parse(await waitForHttp(`http://127.0.0.1:${ports['web/5678']}/health`)) as Record<string, string>;
      assert.equal(json.pod, 'echo-1');
      assert.equal(json.namespace, 'default');
      assert.equal(json.node, NODE);
      assert.equal(json.podIP, st.podIP);

      const dir = `${extra.podDir(pod)}/work`;
      const envText = await waitFor('env.txt', () =>
        fs.existsSync(`${dir}/env.txt`) && fs.readFileSync(`${dir}/env.txt`, 'utf8').includes('PATH=') ? fs.readFileSync(`${dir}/env.txt`, 'utf8') : undefined,
      );
      const env = Object.fromEntries(
        envText
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      assert.equal(env.POD_NAME, 'echo-1');
      assert.equal(env.POD_NAMESPACE, 'default');
      assert.equal(env.POD_IP, st.podIP);
      assert.equal(env.NODE_NAME, NODE);
      assert.equal(env.HOME, extra.podDir(pod));
      assert.equal(env.PORT, String(ports['side/9000']));
      assert.equal(env.PORT_ADMIN, 'overridden', "the container's own env wins");
      assert.equal(env.WEB_SERVICE_HOST, '10.96.0.10');
      assert.equal(env.GREETING, 'hi echo-1 $(POD_NAME)', 'container env overrides extraEnv and expands $(VAR)');
      assert.equal(env.MY_UID, pod.metadata.uid);
      assert.equal(env.USER, undefined, 'the agent environment is not passed on');
      assert.equal(fs.readFileSync(`${dir}/pwd.txt`, 'utf8').trim(), dir);
    } finally {
      await extra.close();
    }
  });

  it('leaves an unknown image waiting with ErrImagePull and a Failed event; the pod stays Pending', async () => {
    const pod = makePod('bad-image', [{ name: 'web', image: 'example.com/team/no-such-image:v2' }]);
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'ErrImagePull', (s) => s.containerStatuses?.[0]?.state.waiting?.reason === 'ErrImagePull');
    assert.equal(st.phase, 'Pending');
    assert.match(st.containerStatuses![0]!.state.waiting!.message!, /no-such-image/);
    assert.equal(st.containerStatuses![0]!.imageID, '');
    const ev = await h.waitEvent(pod, 'Failed', /^Failed to pull image "example.com\/team\/no-such-image:v2": /);
    assert.equal(ev.type, 'Warning');
    assert.equal(st.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    assert.equal(st.conditions?.find((c) => c.type === 'Ready')?.message, 'containers with unready status: [web]');
  });

  it('stops a deleted pod with SIGTERM, then reports it terminated and frees its directory', async () => {
    const pod = makePod('echo-del', [{ name: 'web', image: 'http-echo', ports: [{ containerPort: 8080 }] }]);
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'running', (s) => !!s.containerStatuses?.[0]?.state.running);
    const pid = pidOf(st.containerStatuses![0]!.containerID);
    await waitForHttp(`http://127.0.0.1:${st.kipHostPorts!['web/8080']}/`);
    h.kubelet.upsert(deleted(pod, 10));
    await waitFor('terminated hook', () => h.terminated.find((r) => r.uid === pod.metadata.uid));
    assert.equal(pidAlive(pid), false);
    const last = h.status(pod)!;
    assert.equal(last.phase, 'Succeeded', 'http-echo exits 0 on SIGTERM');
    assert.equal(last.containerStatuses![0]!.state.terminated?.reason, 'Completed');
    assert.equal(fs.existsSync(h.podDir(pod)), false, 'the pod directory is removed');
    assert.ok(h.podEvents(pod).some((e) => e.reason === 'Killing' && e.message === 'Stopping container web'));
    assert.deepEqual(h.kubelet.running(), []);
  });

  it('SIGKILLs a process that ignores SIGTERM once the grace period is over', async () => {
    const pod = makePod('stubborn', [{ name: 'app', command: ['sh', '-c', "trap '' TERM; echo up; while :; do sleep 0.1; done"] }], {
      terminationGracePeriodSeconds: 1,
    });
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'running', (s) => !!s.containerStatuses?.[0]?.state.running);
    const pid = pidOf(st.containerStatuses![0]!.containerID);
    await waitFor(
      'the trap to be set',
      () => fs.existsSync(`${h.podDir(pod)}/logs/app/0.log`) && fs.readFileSync(`${h.podDir(pod)}/logs/app/0.log`, 'utf8').includes('up'),
    );
    const started = Date.now();
    h.kubelet.upsert(deleted(pod));
    await sleep(500);
    assert.ok(pidAlive(pid), 'still alive within the grace period');
    await waitFor('terminated hook', () => h.terminated.length > 0, 10_000);
    const took = Date.now() - started;
    assert.ok(took >= 900, `killed after the 1 s grace period, took ${took} ms`);
    const term = h.status(pod)!.containerStatuses![0]!.state.terminated!;
    assert.equal(term.exitCode, 137);
    assert.equal(term.reason, 'Error');
    assert.equal(h.status(pod)!.phase, 'Failed');
    assert.equal(pidAlive(pid), false);
  });

  it('sync stops pods that are no longer listed; remove kills at once without a terminated hook', async () => {
    const a = makePod('keep', [{ name: 'c', image: 'pause' }]);
    const b = makePod('drop', [{ name: 'c', image: 'pause' }]);
    const c = makePod('gone', [{ name: 'c', image: 'pause' }]);
    h.kubelet.sync([a, b, c]);
    for (const p of [a, b, c]) await h.waitStatus(p, 'running', (s) => !!s.containerStatuses?.[0]?.state.running);
    const pidB = pidOf(h.container(b)!.containerID);
    const pidC = pidOf(h.container(c)!.containerID);
    h.kubelet.sync([a, c]);
    h.kubelet.remove({ namespace: 'default', name: 'gone', uid: c.metadata.uid! });
    await waitFor('both stopped', () => !pidAlive(pidB) && !pidAlive(pidC));
    await waitFor('only keep left', () => h.kubelet.running().length === 1);
    assert.deepEqual(
      h.kubelet.running().map((r) => r.name),
      ['keep'],
    );
    assert.deepEqual(h.terminated, []);
    assert.ok(pidAlive(pidOf(h.container(a)!.containerID)));
  });

  it('reports terminated at once for a deleted pod it does not run', async () => {
    const pod = deleted(makePod('never-here', [{ name: 'c', image: 'pause' }]));
    h.kubelet.upsert(pod);
    await waitFor('terminated hook', () => h.terminated.find((r) => r.uid === pod.metadata.uid));
    assert.deepEqual(h.kubelet.running(), []);
  });

  it('allocates distinct pod IPs, keeps a pod its previous one, and reports usage per container', async () => {
    const a = makePod('ip-a', [{ name: 'c', image: 'pause' }]);
    const b = makePod('ip-b', [{ name: 'c', image: 'pause' }]);
    b.status = { ...b.status, podIP: '10.244.1.77' };
    h.kubelet.sync([a, b]);
    const sa = await h.waitStatus(a, 'ip', (s) => !!s.podIP && !!s.containerStatuses?.[0]?.state.running);
    const sb = await h.waitStatus(b, 'ip', (s) => !!s.podIP && !!s.containerStatuses?.[0]?.state.running);
    assert.notEqual(sa.podIP, sb.podIP);
    assert.equal(sb.podIP, '10.244.1.77');
    const u = await waitFor('a usage sample', () => {
      const x = h.kubelet.usage();
      return x.pods.length === 2 && x.pods.every((p) => p.containers[0]!.memory > 0) ? x : undefined;
    });
    assert.ok(u.memory >= u.pods[0]!.containers[0]!.memory + u.pods[1]!.containers[0]!.memory, 'node totals include the pods');
    assert.deepEqual(u.pods.map((p) => p.name).sort(), ['ip-a', 'ip-b']);
  });

  it('reports usage only for pods with a running container, as metrics-server does', async () => {
    const up = makePod('usage-up', [{ name: 'c', image: 'pause' }]);
    const done = makePod('usage-done', [{ name: 'c', image: 'crasher', args: ['--after', '0s', '--code', '0'] }], { restartPolicy: 'Never' });
    const noImage = makePod('usage-noimage', [{ name: 'c', image: 'no-such-image' }]);
    h.kubelet.sync([up, done, noImage]);
    await h.waitStatus(done, 'completed', (s) => s.phase === 'Succeeded');
    await h.waitStatus(noImage, 'ErrImagePull', (s) => s.containerStatuses?.[0]?.state.waiting?.reason === 'ErrImagePull');
    const u = await waitFor('a usage sample of the running pod', () => {
      const x = h.kubelet.usage();
      return x.pods.some((p) => p.name === 'usage-up' && p.containers[0]!.memory > 0) ? x : undefined;
    });
    assert.deepEqual(
      u.pods.map((p) => p.name),
      ['usage-up'],
      'the completed pod and the one without its image have no metrics',
    );
  });

  it('a node shutdown stops every pod gracefully and reports the reason Terminated', async () => {
    const pod = makePod('shut', [{ name: 'c', image: 'pause' }]);
    h.kubelet.sync([pod]);
    const pid = pidOf((await h.waitStatus(pod, 'running', (s) => !!s.containerStatuses?.[0]?.state.running)).containerStatuses![0]!.containerID);
    // Running from the moment it is spawned, pause handles SIGTERM only once its shell has set the
    // trap; on a loaded machine that can come after the shutdown's SIGTERM would.
    await waitFor('pause to catch SIGTERM', () => catchesSigterm(pid));
    await h.kubelet.shutdown();
    assert.equal(pidAlive(pid), false);
    const st = h.status(pod)!;
    assert.equal(st.phase, 'Succeeded', 'pause exits 0 on SIGTERM');
    assert.equal(st.reason, 'Terminated');
    assert.equal(st.message, 'Pod was terminated in response to imminent node shutdown.');
    assert.deepEqual(h.terminated, [], 'the pod was not deleted');
    h.kubelet.sync([makePod('late', [{ name: 'c', image: 'pause' }])]);
    assert.deepEqual(h.kubelet.running(), [], 'nothing starts after shutdown');
  });

  it('starts a pod again that is wanted again while it was still stopping', async () => {
    const pod = makePod('again', [{ name: 'c', command: ['sh', '-c', "trap 'sleep 0.3; exit 0' TERM; while :; do sleep 0.05; done"] }]);
    h.kubelet.sync([pod]);
    const first = pidOf((await h.waitStatus(pod, 'running', (s) => !!s.containerStatuses?.[0]?.state.running)).containerStatuses![0]!.containerID);
    h.kubelet.sync([]);
    h.kubelet.sync([pod]);
    await waitFor('a new process', () => {
      const c = h.container(pod);
      return c?.state.running && pidOf(c.containerID) !== first ? true : undefined;
    });
    assert.equal(pidAlive(first), false);
    assert.equal(h.kubelet.running().length, 1);
  });

  it('restarts a container whose definition changed', async () => {
    const pod = makePod('changing', [{ name: 'c', image: 'pause' }], { terminationGracePeriodSeconds: 2 });
    h.kubelet.sync([pod]);
    const first = pidOf((await h.waitStatus(pod, 'running', (s) => !!s.containerStatuses?.[0]?.state.running)).containerStatuses![0]!.containerID);
    const changed = { ...pod, spec: { ...pod.spec, containers: [{ name: 'c', image: 'http-echo', ports: [{ containerPort: 80 }] }] } };
    h.kubelet.upsert(changed);
    const st = await h.waitStatus(
      pod,
      'restarted with http-echo',
      (s) => s.containerStatuses?.[0]?.image === 'http-echo' && !!s.containerStatuses[0].state.running && s.containerStatuses[0].restartCount === 1,
    );
    assert.notEqual(pidOf(st.containerStatuses![0]!.containerID), first);
    assert.equal(pidAlive(first), false);
    assert.ok(h.podEvents(pod).some((e) => e.reason === 'Killing' && e.message === 'Container c definition changed, will be restarted'));
  });
});

export async function waitForHttp(url: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      return await res.text();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`no answer from ${url}: ${(err as Error).message}`);
      await sleep(50);
    }
  }
}
