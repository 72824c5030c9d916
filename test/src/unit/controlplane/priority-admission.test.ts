import assert from 'node:assert/strict';
import type { Pod, PriorityClass } from '@kip/shared';
import { ApiError, ensureSystemPriorityClasses, priorityAdmission } from '@kip/controlplane';
import { makeEnv, pod, type Env } from './fixtures.js';

function priorityClass(name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass {
  return { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra };
}

function env(): Env {
  const e = makeEnv();
  e.registry.addAdmission(priorityAdmission(e.store));
  ensureSystemPriorityClasses(e.store);
  return e;
}

/** The ApiError a call throws, for its reason and message. */
function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  assert.fail('expected the call to be refused');
}

describe('priority admission and PriorityClass', () => {
  it('the system classes exist with their values and cannot be deleted', () => {
    const e = env();
    assert.equal(e.registry.get<PriorityClass>('PriorityClass', undefined, 'system-cluster-critical').value, 2_000_000_000);
    assert.equal(e.registry.get<PriorityClass>('PriorityClass', undefined, 'system-node-critical').value, 2_000_001_000);
    const err = refusal(() => e.registry.delete('PriorityClass', undefined, 'system-node-critical'));
    assert.equal(err.reason, 'Forbidden');
    assert.match(err.message, /this is a system priority class and cannot be deleted/);
  });

  it('resolves priorityClassName to spec.priority and spec.preemptionPolicy at create', () => {
    const e = env();
    e.registry.create(priorityClass('batch', 100, { preemptionPolicy: 'Never' }));
    const p = pod('job');
    p.spec.priorityClassName = 'batch';
    const created = e.registry.create<Pod>(p, 'default');
    assert.equal(created.spec.priority, 100);
    assert.equal(created.spec.preemptionPolicy, 'Never');
    const critical = pod('dns');
    critical.spec.priorityClassName = 'system-cluster-critical';
    assert.equal(e.registry.create<Pod>(critical, 'default').spec.priority, 2_000_000_000);
  });

  it('a pod without a class gets the global default, or 0', () => {
    const e = env();
    assert.equal(e.registry.create<Pod>(pod('a'), 'default').spec.priority, 0);
    e.registry.create(priorityClass('normal', 50, { globalDefault: true }));
    const b = e.registry.create<Pod>(pod('b'), 'default');
    assert.equal(b.spec.priority, 50);
    assert.equal(b.spec.priorityClassName, 'normal');
  });

  it('refuses an unknown class, and a priority that disagrees with the class, with the API server’s words', () => {
    const e = env();
    const unknown = pod('x');
    unknown.spec.priorityClassName = 'nope';
    const err = refusal(() => e.registry.create(unknown, 'default'));
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, 'pods "x" is forbidden: no PriorityClass with name nope was found');
    const forged = pod('y');
    forged.spec.priority = 7;
    assert.equal(
      refusal(() => e.registry.create(forged, 'default')).message,
      'pods "y" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name',
    );
  });

  it('allows one global default only', () => {
    const e = env();
    e.registry.create(priorityClass('one', 1, { globalDefault: true }));
    const err = refusal(() => e.registry.create(priorityClass('two', 2, { globalDefault: true })));
    assert.equal(err.reason, 'Forbidden');
    assert.match(err.message, /PriorityClass one is already marked as default\. Only one default can exist/);
  });

  it('validates the class as Kubernetes does: reserved names, the user maximum, an immutable value', () => {
    const e = env();
    const reserved = refusal(() => e.registry.create(priorityClass('system-mine', 5)));
    assert.equal(reserved.reason, 'Invalid');
    assert.match(reserved.message, /metadata\.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only/);
    assert.match(
      refusal(() => e.registry.create(priorityClass('huge', 1_000_000_001))).message,
      /value: Forbidden: maximum allowed value of a user defined priority is 1000000000/,
    );
    e.registry.create(priorityClass('fixed', 10));
    const cur = e.registry.get<PriorityClass>('PriorityClass', undefined, 'fixed');
    assert.match(refusal(() => e.registry.update({ ...cur, value: 11 })).message, /value: Forbidden: may not be changed in an update\./);
    assert.equal(e.registry.update<PriorityClass>({ ...cur, description: 'now described' }).description, 'now described');
  });

  it('a replace of a pod that leaves out the admitted priority keeps it', () => {
    const e = env();
    e.registry.create(priorityClass('batch', 100));
    const p = pod('job');
    p.spec.priorityClassName = 'batch';
    const created = e.registry.create<Pod>(p, 'default');
    const replaced = structuredClone(created);
    delete replaced.spec.priority;
    delete replaced.spec.preemptionPolicy;
    assert.equal(e.registry.update<Pod>(replaced).spec.priority, 100);
  });
});
