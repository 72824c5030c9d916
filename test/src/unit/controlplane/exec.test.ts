// The pure parts of kubectl exec's server side: which subprotocol is spoken, how the query is read
// and checked against the pod, and the Status whose exit code kubectl exits with.

import assert from 'node:assert/strict';
import { ApiError, chooseExecProtocol, execStatus, parseExecRequest } from '@kip/controlplane';
import type { Pod } from '@kip/shared';

const pod = (containers: string[], phase = 'Running', nodeName = 'node-1'): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { ...(nodeName ? { nodeName } : {}), containers: containers.map((name) => ({ name, image: 'busybox' })) },
    status: { phase },
  }) as Pod;

const q = (s: string) => new URLSearchParams(s);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 400);
    return err.message;
  }
  assert.fail('expected a refusal');
}

describe('kubectl exec: the server side', () => {
  it('speaks v5 when offered, else v4, and nothing older', () => {
    assert.equal(chooseExecProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io']), 'v5.channel.k8s.io');
    assert.equal(chooseExecProtocol(['v4.channel.k8s.io', 'channel.k8s.io']), 'v4.channel.k8s.io');
    assert.equal(chooseExecProtocol(['channel.k8s.io', 'base64.channel.k8s.io']), undefined);
  });

  it('reads every command word, the streams asked for, and defaults the only container', () => {
    const r = parseExecRequest(q('command=sh&command=-c&command=echo+hi&stdin=true&stdout=true&tty=false'), pod(['main']));
    assert.deepEqual(r, { namespace: 'default', pod: 'web', container: 'main', command: ['sh', '-c', 'echo hi'], stdin: true, tty: false });
  });

  it('refuses what the API server refuses, in its words', () => {
    assert.equal(
      refusal(() => parseExecRequest(q(''), pod(['main']))),
      'you must specify at least 1 command',
    );
    assert.equal(
      refusal(() => parseExecRequest(q('command=ls'), pod(['a', 'b']))),
      'a container name must be specified for pod web, choose one of: [a b]',
    );
    assert.equal(
      refusal(() => parseExecRequest(q('command=ls&container=c'), pod(['a', 'b']))),
      'container c is not valid for pod web',
    );
    assert.equal(
      refusal(() => parseExecRequest(q('command=ls'), pod(['a'], 'Pending', ''))),
      'pod web does not have a host assigned',
    );
    assert.equal(
      refusal(() => parseExecRequest(q('command=ls'), pod(['a'], 'Succeeded'))),
      'cannot exec into a container in a completed pod; current phase is Succeeded',
    );
  });

  it('ends with Success, or with NonZeroExitCode carrying the code kubectl exits with', () => {
    assert.deepEqual(execStatus(['true'], { exitCode: 0 }), { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success' });
    const failed = execStatus(['sh', '-c', 'exit 3'], { exitCode: 3 });
    assert.equal(failed.reason, 'NonZeroExitCode');
    assert.deepEqual(failed.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
    assert.equal(failed.message, 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3');
    assert.equal(execStatus(['x'], { error: 'node node-1 disconnected' }).reason, 'InternalError');
  });
});
