// A network fault that no probe request crossed is called out, so that a report never shows a
// fault "without effect" that the probe simply could not see.

import assert from 'node:assert/strict';
import type { ChaosStatus } from '@kip/shared';
import { missedFaultWarning } from '@kip/scripts';

const delayed: ChaosStatus = {
  phase: 'Recovered',
  records: [
    { time: '2026-01-02T03:04:05Z', action: 'delay', nodes: ['node-1'], targets: ['node-2'], result: 'Injected' },
    { time: '2026-01-02T03:04:17Z', action: 'delay', nodes: ['node-1'], result: 'Recovered' },
  ],
};
const answers = (...nodes: string[]) => nodes.map((node) => ({ ok: true, node }));

describe('experiment: a network fault the probe never crossed', () => {
  it('is called out, naming the link, the probe node and who answered', () => {
    const w = missedFaultWarning('slow-link', delayed, 'node-1', answers('node-1', 'node-3', 'node-4', 'node-3'));
    assert.equal(
      w,
      'fault slow-link acts on the links between node-1 and node-2, but no probe request crossed one while it held (the probe ran on node-1; answers came from node-1, node-3, node-4), and none failed: these figures cannot show its effect. Put the probed pods across the link (nodeName or nodeSelector in the workload), or probe from one of its nodes.',
    );
  });

  it('is quiet when a request crossed the link, in either direction', () => {
    assert.equal(missedFaultWarning('slow-link', delayed, 'node-1', answers('node-3', 'node-2')), undefined);
    assert.equal(missedFaultWarning('slow-link', delayed, 'node-2', answers('node-1')), undefined, 'from a target node to a chosen one');
  });

  it('is quiet when a request failed while it held: that may be the fault showing', () => {
    assert.equal(missedFaultWarning('cut', delayed, 'node-1', [...answers('node-3'), { ok: false }]), undefined);
  });

  it('does not count a same-node answer as crossing, nor a link between two other nodes', () => {
    assert.ok(missedFaultWarning('slow-link', delayed, 'node-2', answers('node-2', 'node-3')));
    assert.ok(missedFaultWarning('slow-link', delayed, 'node-3', answers('node-2')));
  });

  it('says nothing without an injection, a probe node, or requests to judge by', () => {
    assert.equal(missedFaultWarning('x', undefined, 'node-1', answers('node-3')), undefined);
    assert.equal(
      missedFaultWarning('x', { records: [{ time: 't', action: 'delay', nodes: ['node-1'], result: 'Skipped' }] }, 'node-1', answers('node-3')),
      undefined,
    );
    assert.equal(missedFaultWarning('x', delayed, '', answers('node-3')), undefined);
    assert.equal(missedFaultWarning('x', delayed, 'node-1', []), undefined);
  });
});
