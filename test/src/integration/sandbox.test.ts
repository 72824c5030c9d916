// Each pod sees its own filesystem and hostname, without root: on a real cluster, two pods that
// write the same absolute paths see their own bytes, the hostname is the pod's, the docs' exec
// liveness example restarts its container once the file it wrote inside is gone, `kip describe`
// says what isolates the pod, and nothing of a pod outlives its deletion or its agent.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { podDisplayStatus, type Event, type Pod } from '@kip/shared';
import { bufferIO, main } from '@kip/scripts';
import { TestCluster } from '../helpers/cluster.js';
import { processesUnder } from '../helpers/processes.js';
import { eventually, isAlive } from '../helpers/wait.js';

function pod(name: string, spec: Partial<Pod['spec']> & Pick<Pod['spec'], 'containers'>, nodeName?: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 2, ...(nodeName ? { nodeName } : {}), ...spec } };
}

function pidOf(p: Pod | undefined, i = 0): number {
  return Number(/^kip:\/\/(\d+)$/.exec(p?.status?.containerStatuses?.[i]?.containerID ?? '')?.[1] ?? Number.NaN);
}

describe('pod sandbox: own filesystem and hostname, without root', function () {
  this.timeout(180_000);
  let cluster: TestCluster;

  before(async function () {
    cluster = await TestCluster.start({ nodes: 2, readyTimeoutMs: 60_000 });
  });

  after(async function () {
    await cluster?.stop();
  });

  /** The pod's directory on its node, where its sandbox keeps what it wrote. */
  function podDir(p: Pod): string {
    return path.join(cluster.dataDir, 'nodes', p.spec.nodeName!, 'pods', `default_${p.metadata.name}_${p.metadata.uid}`);
  }

  async function log(name: string): Promise<string> {
    const res = await cluster.api.request<string>('GET', `/api/v1/namespaces/default/pods/${name}/log`);
    return res.status === 200 ? String(res.body) : '';
  }

  it('gives two pods writing /tmp/x and /usr/share/message their own bytes, and the pod name as hostname', async () => {
    // Both on one node: the same node's pods are the ones that would collide.
    const writer = (who: string) =>
      pod(
        who,
        {
          containers: [
            {
              name: 'main',
              command: [
                '/bin/sh',
                '-c',
                `echo ${who} > /tmp/x; mkdir -p /usr/share; echo ${who} > /usr/share/message; echo "wrote host=$(hostname)"; exec sleep 1000`,
              ],
              // Ready only when a command entered into the container's namespaces sees what it wrote.
              readinessProbe: { exec: { command: ['/bin/sh', '-c', `grep -qx ${who} /tmp/x && grep -qx ${who} /usr/share/message`] }, periodSeconds: 1 },
            },
          ],
        },
        'node-1',
      );
    await cluster.api.create(writer('writer-a'));
    await cluster.api.create(writer('writer-b'));
    const running = await eventually(
      'both writers ready',
      async () => {
        const ps = await Promise.all(['writer-a', 'writer-b'].map((n) => cluster.api.get<Pod>('pods', n)));
        return ps.every((p) => p?.status?.containerStatuses?.[0]?.ready) ? (ps as Pod[]) : undefined;
      },
      { timeoutMs: 60_000 },
    );
    for (const p of running) {
      const who = p.metadata.name;
      assert.match(await eventually('its log', async () => (await log(who)) || undefined), new RegExp(`wrote host=${who}\\n`));
      assert.equal(fs.readFileSync(path.join(podDir(p), 'tmp', 'x'), 'utf8'), `${who}\n`);
      assert.equal(fs.readFileSync(path.join(podDir(p), 'sandbox', 'upper', 'usr', 'share', 'message'), 'utf8'), `${who}\n`);
      assert.equal(p.status?.kipSandbox, 'user+mount+uts namespaces');
    }
    assert.ok(!fs.existsSync('/usr/share/message') || !/^writer-/.test(fs.readFileSync('/usr/share/message', 'utf8')), "the host's /usr is untouched");

    const io = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig }, cwd: cluster.dataDir });
    assert.equal(await main(['describe', 'pod', 'writer-a'], io), 0, io.stderr.text());
    assert.match(io.stdout.text(), /^Sandbox:\s+user\+mount\+uts namespaces$/m);

    // Deleted, a pod leaves no process: not its program, not what runs in its namespaces.
    const pids = running.map((p) => pidOf(p));
    const dirs = running.map((p) => podDir(p));
    for (const p of running) await cluster.api.delete('pods', p.metadata.name);
    await eventually('both writers gone', async () => (await cluster.api.list<Pod>('pods')).every((p) => !p.metadata.name.startsWith('writer-')), {
      timeoutMs: 30_000,
    });
    await eventually('no process of theirs left', () => pids.every((pid) => !isAlive(pid)) && dirs.every((d) => processesUnder(d).length === 0), {
      timeoutMs: 10_000,
    });
  });

  it('restarts the docs exec-liveness container once /tmp/healthy, written inside it, is removed', async () => {
    // content/en/examples/pods/probe/exec-liveness.yaml, with its 30 s shortened to 4 s.
    await cluster.api.create(
      pod('liveness-exec', {
        containers: [
          {
            name: 'liveness',
            // The docs run it as busybox's args; the same shell line as the command here.
            command: ['/bin/sh', '-c', 'touch /tmp/healthy; sleep 4; rm -f /tmp/healthy; sleep 600'],
            livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      }),
    );
    const restarted = await eventually(
      'a restart for the failed liveness probe',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'liveness-exec');
        return (p?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    const events = await cluster.api.list<Event>('events', { fieldSelector: 'involvedObject.name=liveness-exec' });
    const unhealthy = events.find((e) => e.reason === 'Unhealthy');
    assert.match(unhealthy?.message ?? '', /Liveness probe failed: cat: \/tmp\/healthy: No such file or directory/);
    // (Whether the host has a /tmp/healthy says nothing: other programs on this machine run this example too.)
    assert.ok(restarted!.status?.containerStatuses?.[0]?.lastState.terminated, 'the killed run is the last state');
    await cluster.api.delete('pods', 'liveness-exec', 'default', 0);
  });

  it('runs init containers in order, to completion, before the app container, with Init:N/M on the way', async () => {
    // Each init container appends its name to a file in the pod's /tmp, shared by its containers;
    // the second waits until it may go, so that the pod is seen at Init:1/2.
    await cluster.api.create(
      pod('init-order', {
        initContainers: [
          { name: 'first', command: ['/bin/sh', '-c', 'echo first >> /tmp/order'] },
          { name: 'second', command: ['/bin/sh', '-c', 'while [ ! -f /tmp/go ]; do sleep 0.1; done; echo second >> /tmp/order'] },
        ],
        containers: [{ name: 'app', command: ['/bin/sh', '-c', 'echo app >> /tmp/order; cat /tmp/order; exec sleep 1000'] }],
      }),
    );
    const waiting = await eventually(
      'the pod at Init:1/2',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'init-order');
        return p && podDisplayStatus(p) === 'Init:1/2' ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(waiting.status?.phase, 'Pending');
    assert.equal(waiting.status?.initContainerStatuses?.[0]?.state.terminated?.reason, 'Completed');
    assert.equal(waiting.status?.containerStatuses?.[0]?.state.waiting?.reason, 'PodInitializing');
    assert.match(waiting.status?.conditions?.find((c) => c.type === 'Initialized')?.message ?? '', /containers with incomplete status: \[second\]/);
    fs.writeFileSync(path.join(podDir(waiting), 'tmp', 'go'), '');
    const running = await eventually(
      'the app running',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'init-order');
        return p?.status?.phase === 'Running' && podDisplayStatus(p) === 'Running' ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(running.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
    assert.equal(await eventually('the app log', async () => (await log('init-order')) || undefined), 'first\nsecond\napp\n');
    const init = await cluster.api.request<string>('GET', '/api/v1/namespaces/default/pods/init-order/log?container=first');
    assert.equal(init.status, 200);
    const io = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig }, cwd: cluster.dataDir });
    assert.equal(await main(['describe', 'pod', 'init-order'], io), 0, io.stderr.text());
    assert.match(io.stdout.text(), /^Init Containers:\n {2}first:\n/m);
    assert.match(io.stdout.text(), /^ {4}State:\s+Terminated\n {6}Reason:\s+Completed$/m);
    await cluster.api.delete('pods', 'init-order', 'default', 0);
  });

  it('fails a restartPolicy Never pod whose init container fails, and never starts its app: Init:Error', async () => {
    await cluster.api.create(
      pod('init-fails', {
        restartPolicy: 'Never',
        initContainers: [{ name: 'broken', command: ['/bin/sh', '-c', 'exit 3'] }],
        containers: [{ name: 'app', command: ['/bin/sh', '-c', 'exec sleep 1000'] }],
      }),
    );
    const failed = await eventually(
      'the pod Failed',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'init-fails');
        return p?.status?.phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(podDisplayStatus(failed), 'Init:Error');
    assert.equal(failed.status?.initContainerStatuses?.[0]?.state.terminated?.exitCode, 3);
    assert.ok(!failed.status?.containerStatuses?.[0]?.state.running, 'the app never ran');
    await cluster.api.delete('pods', 'init-fails', 'default', 0);
  });

  it('runs postStart and preStop in the container, and reports its termination message', async () => {
    await cluster.api.create(
      pod('hooks', {
        restartPolicy: 'OnFailure',
        containers: [
          {
            name: 'main',
            // Alive while /tmp/alive exists; on SIGTERM it shows what the hooks wrote and leaves a termination message.
            command: [
              '/bin/sh',
              '-c',
              'trap \'echo "saw $(cat /tmp/poststart) $(cat /tmp/prestop)"; echo "ended by kip" > /dev/termination-log; exit 1\' TERM; touch /tmp/alive; while :; do sleep 0.1; done',
            ],
            lifecycle: {
              postStart: { exec: { command: ['/bin/sh', '-c', 'echo poststart-$(hostname) > /tmp/poststart'] } },
              preStop: { exec: { command: ['/bin/sh', '-c', 'echo prestop > /tmp/prestop; rm -f /tmp/alive'] } },
            },
            livenessProbe: {
              exec: { command: ['/bin/sh', '-c', 'test -f /tmp/alive && ! test -f /tmp/poststart-seen'] },
              initialDelaySeconds: 1,
              periodSeconds: 1,
              failureThreshold: 2,
            },
          },
          {
            name: 'fails',
            command: ['/bin/sh', '-c', 'echo some output; echo the reason it failed; exit 4'],
            terminationMessagePolicy: 'FallbackToLogsOnError',
          },
        ],
      }),
    );
    const p = await eventually(
      'main running and fails failed once',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'hooks');
        const [main, fails] = p?.status?.containerStatuses ?? [];
        return main?.state.running && (fails?.lastState.terminated || fails?.state.terminated) ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // Make the liveness probe fail: preStop runs inside, then SIGTERM.
    fs.writeFileSync(path.join(podDir(p), 'tmp', 'poststart-seen'), '');
    const restarted = await eventually(
      'main killed for its liveness probe and its termination message reported',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'hooks');
        const main = p?.status?.containerStatuses?.find((c) => c.name === 'main');
        return main?.lastState.terminated?.message && main.restartCount >= 1 ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    fs.rmSync(path.join(podDir(restarted), 'tmp', 'poststart-seen'));
    const [main, fails] = restarted.status!.containerStatuses!;
    assert.equal(main!.lastState.terminated?.message, 'ended by kip\n');
    assert.equal((fails!.state.terminated ?? fails!.lastState.terminated)?.message, 'some output\nthe reason it failed\n');
    const previous = await cluster.api.request<string>('GET', '/api/v1/namespaces/default/pods/hooks/log?container=main&previous=true');
    assert.equal(previous.status, 200, JSON.stringify(previous.body));
    // (The shell may first say its sleep was Terminated: SIGTERM goes to the whole group.)
    assert.match(String(previous.body), /^(Terminated\n)?saw poststart-hooks prestop\n$/);
    await cluster.api.delete('pods', 'hooks', 'default', 0);
  });

  it("kills what runs in a pod's namespaces when its agent dies", async () => {
    await cluster.api.create(
      pod('orphan-check', { containers: [{ name: 'main', command: ['/bin/sh', '-c', 'sleep 1001 & (sleep 1002 &); exec sleep 1003'] }] }, 'node-2'),
    );
    const p = await eventually('the pod running', async () => {
      const p = await cluster.api.get<Pod>('pods', 'orphan-check');
      return p?.status?.containerStatuses?.[0]?.state.running ? p : undefined;
    });
    const dir = podDir(p!);
    const members = await eventually('its three sleeps', () => {
      const ps = processesUnder(dir).filter((x) => /^sleep 100[123]$/.test(x.cmdline));
      return ps.length === 3 ? ps : undefined;
    });
    await cluster.killAgent('node-2');
    await eventually('every process of the pod to die with its agent', () => members.every((m) => !isAlive(m.pid)) && processesUnder(dir).length === 0, {
      timeoutMs: 5000,
    });
  });
});
