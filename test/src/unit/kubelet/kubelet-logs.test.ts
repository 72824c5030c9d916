// Container logs through streamLogs: current and previous instances, tail, limit, follow, errors.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogRequest } from '@kip/shared';
import { Harness, makePod, waitFor } from './harness.js';

interface Collected {
  text: string;
  ended: boolean;
  error?: string;
}

function request(h: Harness, req: Partial<LogRequest> & { pod: string }): { out: Collected; cancel: () => void } {
  const out: Collected = { text: '', ended: false };
  const cancel = h.kubelet.streamLogs(
    { type: 'logRequest', id: 1, namespace: 'default', container: '', follow: false, previous: false, ...req },
    {
      data: (d) => {
        out.text += Buffer.from(d).toString('utf8');
      },
      end: (e) => {
        out.ended = true;
        if (e) out.error = e;
      },
    },
  );
  return { out, cancel };
}

describe('kubelet: container logs', function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('serves the current and the previous instance, with tailLines and limitBytes', async () => {
    const script =
      'echo "run $(cat n 2>/dev/null || echo 0)"; echo out-a; echo err-b >&2; echo $(( $(cat n 2>/dev/null || echo 0) + 1 )) > n; sleep 0.2; exit 1';
    const pod = makePod('logs-1', [{ name: 'c', command: ['sh', '-c', script] }]);
    h.kubelet.sync([pod]);
    await h.waitStatus(pod, 'two restarts', (s) => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 2 && !!s.containerStatuses?.[0]?.state.running);
    // The third run may not have written yet: ask again until it has.
    const cur = await waitFor('the third run to log', () => {
      const r = request(h, { pod: 'logs-1', container: 'c' });
      return r.out.ended && r.out.text.includes('err-b') ? r : undefined;
    });
    assert.equal(cur.out.error, undefined);
    assert.match(cur.out.text, /^run [23]\nout-a\nerr-b\n$/);
    const prev = request(h, { pod: 'logs-1', previous: true });
    await waitFor('end', () => prev.out.ended);
    assert.match(prev.out.text, /^run [12]\nout-a\nerr-b\n$/);
    assert.notEqual(prev.out.text, cur.out.text, 'previous is the instance before the current one');
    const tail = request(h, { pod: 'logs-1', previous: true, tailLines: 2 });
    await waitFor('end', () => tail.out.ended);
    assert.equal(tail.out.text, 'out-a\nerr-b\n');
    const limited = request(h, { pod: 'logs-1', previous: true, limitBytes: 4 });
    await waitFor('end', () => limited.out.ended);
    assert.equal(limited.out.text, 'run ');
  });

  it('says why when it cannot serve, in kubectl words', async () => {
    const pod = makePod('logs-2', [
      { name: 'a', image: 'pause' },
      { name: 'b', image: 'nope-image' },
    ]);
    h.kubelet.sync([pod]);
    await h.waitStatus(pod, 'a running', (s) => !!s.containerStatuses?.find((c) => c.name === 'a')?.state.running);
    const cases: [Partial<LogRequest> & { pod: string }, string][] = [
      [{ pod: 'logs-2', container: 'zzz' }, 'container "zzz" is not valid for pod "logs-2": choose one of: [a b]'],
      [{ pod: 'logs-2' }, 'a container name must be specified for pod logs-2, choose one of: [a b]'],
      [{ pod: 'logs-2', container: 'a', previous: true }, 'previous terminated container "a" in pod "logs-2" not found'],
      [{ pod: 'logs-2', container: 'b' }, `container "b" in pod "logs-2" is waiting to start: image can't be pulled`],
      [{ pod: 'no-such-pod', container: 'a' }, 'pods "no-such-pod" not found'],
    ];
    for (const [req, msg] of cases) {
      const r = request(h, req);
      assert.ok(r.out.ended, JSON.stringify(req));
      assert.equal(r.out.error, msg);
    }
  });

  it('follows a running container until it exits, and stops when cancelled', async () => {
    const pod = makePod(
      'logs-3',
      [{ name: 'c', command: ['sh', '-c', 'echo first; while [ ! -f go ]; do sleep 0.05; done; echo second; sleep 0.1; echo third'] }],
      { restartPolicy: 'Never' },
    );
    const other = makePod('logs-4', [{ name: 'c', command: ['sh', '-c', 'while :; do echo tick; sleep 0.05; done'] }]);
    h.kubelet.sync([pod, other]);
    await h.waitStatus(pod, 'running', (s) => !!s.containerStatuses?.[0]?.state.running);
    await h.waitStatus(other, 'running', (s) => !!s.containerStatuses?.[0]?.state.running);
    const fs = await import('node:fs');
    await waitFor('first line', () => fs.readFileSync(`${h.podDir(pod)}/logs/c/0.log`, 'utf8').includes('first'));
    const f = request(h, { pod: 'logs-3', follow: true });
    assert.equal(f.out.text, 'first\n');
    assert.equal(f.out.ended, false);
    fs.writeFileSync(`${h.podDir(pod)}/go`, '');
    await waitFor('the stream to end with the container', () => f.out.ended);
    assert.equal(f.out.text, 'first\nsecond\nthird\n');
    assert.equal(f.out.error, undefined);

    const g = request(h, { pod: 'logs-4', follow: true, tailLines: 1 });
    assert.equal(g.out.text, 'tick\n');
    await waitFor('more ticks', () => g.out.text.length > 10);
    g.cancel();
    const after = g.out.text.length;
    await sleep(200);
    assert.equal(g.out.text.length, after, 'nothing arrives after cancel');
    assert.equal(g.out.ended, false);
  });
});
