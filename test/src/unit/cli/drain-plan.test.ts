import assert from 'node:assert/strict';
import { planDrain } from '@kip/scripts';
import { pod } from './fixtures.js';

describe('cli drain plan', () => {
  const managed = pod('web-1', { owner: 'web-abc', node: 'node-1' });
  const bare = pod('bare', { node: 'node-1' });
  const daemon = pod('agent-x', { node: 'node-1' });
  daemon.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'd1', controller: true }];

  it('evicts pods that a controller will recreate', () => {
    const plan = planDrain([managed], { force: false, ignoreDaemonSets: false });
    assert.deepEqual(
      plan.evict.map((p) => p.metadata.name),
      ['web-1'],
    );
    assert.deepEqual(plan.errors, []);
  });

  it('refuses pods without a controller unless forced, naming them', () => {
    const refused = planDrain([managed, bare], { force: false, ignoreDaemonSets: false });
    assert.deepEqual(refused.errors, ['cannot delete Pods that declare no controller (use --force to override): default/bare']);
    const forced = planDrain([managed, bare], { force: true, ignoreDaemonSets: false });
    assert.deepEqual(forced.errors, []);
    assert.deepEqual(
      forced.evict.map((p) => p.metadata.name),
      ['web-1', 'bare'],
    );
    assert.deepEqual(forced.warnings, ['deleting Pods that declare no controller: default/bare']);
  });

  it('removes finished pods without --force, controller or not, as kubectl does', () => {
    const done = pod('job-once', { node: 'node-1', phase: 'Succeeded' });
    const failed = pod('oom', { node: 'node-1', phase: 'Failed' });
    const finishedDaemon = pod('agent-old', { node: 'node-1', phase: 'Failed' });
    finishedDaemon.metadata.ownerReferences = daemon.metadata.ownerReferences;
    const plan = planDrain([managed, done, failed, finishedDaemon], { force: false, ignoreDaemonSets: false });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.warnings, []);
    assert.deepEqual(
      plan.evict.map((p) => p.metadata.name),
      ['web-1', 'job-once', 'oom', 'agent-old'],
    );
  });

  it('leaves DaemonSet pods alone only with --ignore-daemonsets', () => {
    assert.equal(planDrain([daemon], { force: false, ignoreDaemonSets: false }).errors.length, 1);
    const plan = planDrain([daemon], { force: false, ignoreDaemonSets: true });
    assert.deepEqual(plan.evict, []);
    assert.deepEqual(plan.warnings, ['ignoring DaemonSet-managed Pods: default/agent-x']);
  });
});
