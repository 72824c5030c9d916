// A Job's pod failure policy, success policy and backoff limit per index, through the Job
// controller on a fake clock, and the pure matchers behind them; the API server's checks of them.

import assert from 'node:assert/strict';
import type { Job, JobSpec, Pod } from '@kip/shared';
import { compressIndexes, JobController, jobSelectorAdmission, matchPodFailurePolicy, matchSuccessPolicy } from '@kip/controlplane';
import { get, makeEnv, NS, pods, SyncDriver, type Env } from './fixtures.js';

const BACKOFF_MS = 1000;

interface JobEnv extends Env {
  driver: SyncDriver;
}

function jobEnv(): JobEnv {
  const env = makeEnv({ nodeCanTerminate: () => false });
  env.registry.addAdmission(jobSelectorAdmission);
  const jc = new JobController(env.deps, { backoffInitialMs: BACKOFF_MS, backoffMaxMs: 8 * BACKOFF_MS });
  return { ...env, driver: new SyncDriver(jc, env.clock) };
}

function newJob(name: string, spec: Partial<JobSpec>): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox', command: ['true'] }], restartPolicy: 'Never' } }, ...spec },
  };
}

const job = (env: Env, name: string) => get<Job>(env, 'Job', name)!;
const isLive = (p: Pod) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
const live = (env: Env, owner: Job) => pods(env, owner).filter(isLive);
const conditions = (j: Job) => (j.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}/${c.reason}`);
const indexOf = (p: Pod) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];

/** Ends a pod as the kubelet reports it: phase, and its container's exit code. */
function exit(env: JobEnv, pod: Pod, code: number, extraConditions: NonNullable<Pod['status']>['conditions'] = []): void {
  const next = structuredClone(env.store.get<Pod>('Pod', NS, pod.metadata.name)!);
  next.status = {
    ...(next.status ?? {}),
    phase: code === 0 ? 'Succeeded' : 'Failed',
    conditions: [...(next.status?.conditions ?? []), ...extraConditions],
    containerStatuses: [
      {
        name: 'main',
        ready: false,
        restartCount: 0,
        image: 'busybox',
        imageID: '',
        lastState: {},
        state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' } },
      },
    ],
  };
  env.registry.updateStatus(next);
}

function exitIndex(env: JobEnv, owner: Job, index: number, code: number): void {
  const p = live(env, owner).find((x) => indexOf(x) === String(index));
  assert.ok(p, `a live pod of index ${index}`);
  exit(env, p, code);
  env.driver.drain();
}

const failJobRule = { action: 'FailJob' as const, onExitCodes: { containerName: 'main', operator: 'In' as const, values: [42] } };
const ignoreDisruption = { action: 'Ignore' as const, onPodConditions: [{ type: 'DisruptionTarget', status: 'True' as const }] };

describe('controllers/job policies', () => {
  it('fails the Job at once when a pod exits with a FailJob exit code, in Kubernetes words', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('fj', { completions: 8, parallelism: 2, podFailurePolicy: { rules: [failJobRule] } }));
    env.driver.drain();
    const [first] = live(env, j);
    exit(env, first!, 42);
    env.driver.drain();
    const done = job(env, 'fj');
    assert.deepEqual(conditions(done), ['FailureTarget/PodFailurePolicy', 'Failed/PodFailurePolicy']);
    const failed = done.status!.conditions!.find((c) => c.type === 'Failed')!;
    assert.equal(failed.message, `Container main for pod ${NS}/${first!.metadata.name} failed with exit code 42 matching FailJob rule at index 0`);
    assert.equal(live(env, j).length, 0, 'the other pod was deleted');
  });

  it('counts an exit code the policy does not name, and ignores a disrupted pod without counting it', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(
      newJob('ig', { completions: 2, parallelism: 1, backoffLimit: 0, podFailurePolicy: { rules: [failJobRule, ignoreDisruption] } }),
    );
    env.driver.drain();
    const [p] = live(env, j);
    exit(env, p!, 1, [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' }]);
    env.driver.drain();
    assert.equal(job(env, 'ig').status?.failed, 0, 'an ignored failure is not counted');
    assert.deepEqual(conditions(job(env, 'ig')), []);
    assert.equal(live(env, j).length, 1, 'replaced at once: no backoff for an ignored failure');
    exit(env, live(env, j)[0]!, 1);
    env.driver.drain();
    assert.deepEqual(conditions(job(env, 'ig')), ['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
  });

  it('judges a pod that vanished while running by how it was last seen (an evicted pod is ignored)', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('gone', { completions: 1, backoffLimit: 0, podFailurePolicy: { rules: [ignoreDisruption] } }));
    env.driver.drain();
    const [p] = live(env, j);
    const marked = structuredClone(env.store.get<Pod>('Pod', NS, p!.metadata.name)!);
    marked.status = { ...marked.status, conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }] };
    env.registry.updateStatus(marked);
    env.driver.drain();
    env.store.delete('Pod', NS, p!.metadata.name);
    env.driver.drain();
    assert.equal(job(env, 'gone').status?.failed, 0);
    assert.equal(live(env, j).length, 1, 'replaced');
  });

  it('retries each index up to backoffLimitPerIndex, fails it past that, and fails the Job with FailedIndexes once all are done', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('pi', { completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimitPerIndex: 1 }));
    env.driver.drain();
    assert.deepEqual(
      live(env, j).map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count']),
      ['0', '0', '0', '0'],
    );
    exitIndex(env, j, 0, 1);
    exitIndex(env, j, 1, 0);
    assert.equal(live(env, j).filter((p) => indexOf(p) === '0').length, 0, 'index 0 backs off');
    env.clock.advance(BACKOFF_MS);
    env.driver.drain();
    const retry = live(env, j).find((p) => indexOf(p) === '0')!;
    assert.equal(retry.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count'], '1');
    exitIndex(env, j, 0, 1);
    env.clock.advance(10 * BACKOFF_MS);
    env.driver.drain();
    assert.equal(live(env, j).filter((p) => indexOf(p) === '0').length, 0, 'index 0 failed for good');
    assert.equal(job(env, 'pi').status?.failedIndexes, '0');
    exitIndex(env, j, 2, 0);
    assert.deepEqual(conditions(job(env, 'pi')), []);
    exitIndex(env, j, 3, 0);
    const done = job(env, 'pi');
    assert.deepEqual(conditions(done), ['FailureTarget/FailedIndexes', 'Failed/FailedIndexes']);
    assert.equal(done.status?.completedIndexes, '1-3');
    assert.equal(done.status?.failedIndexes, '0');
  });

  it('fails an index at once on a FailIndex rule, and the Job past maxFailedIndexes', () => {
    const env = jobEnv();
    const failIndex = { action: 'FailIndex' as const, onExitCodes: { operator: 'In' as const, values: [42] } };
    const j = env.registry.create<Job>(
      newJob('mf', {
        completionMode: 'Indexed',
        completions: 4,
        parallelism: 4,
        backoffLimitPerIndex: 3,
        maxFailedIndexes: 1,
        podFailurePolicy: { rules: [failIndex] },
      }),
    );
    env.driver.drain();
    exitIndex(env, j, 0, 42);
    assert.equal(job(env, 'mf').status?.failedIndexes, '0');
    assert.deepEqual(conditions(job(env, 'mf')), []);
    env.clock.advance(BACKOFF_MS);
    env.driver.drain();
    assert.equal(live(env, j).filter((p) => indexOf(p) === '0').length, 0, 'a FailIndex index is not retried');
    exitIndex(env, j, 1, 42);
    assert.deepEqual(conditions(job(env, 'mf')), ['FailureTarget/MaxFailedIndexesExceeded', 'Failed/MaxFailedIndexesExceeded']);
    assert.equal(live(env, j).length, 0);
  });

  it('completes an Indexed Job when its success policy is met, ending the pods still running', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(
      newJob('sp', {
        completionMode: 'Indexed',
        completions: 10,
        parallelism: 10,
        successPolicy: { rules: [{ succeededIndexes: '0,2-3', succeededCount: 1 }] },
      }),
    );
    env.driver.drain();
    exitIndex(env, j, 5, 0);
    assert.deepEqual(conditions(job(env, 'sp')), [], 'index 5 is not in the rule');
    exitIndex(env, j, 2, 0);
    const done = job(env, 'sp');
    assert.deepEqual(conditions(done), ['SuccessCriteriaMet/SuccessPolicy', 'Complete/SuccessPolicy']);
    assert.equal(done.status!.conditions!.find((c) => c.type === 'Complete')!.message, 'Matched rules at index 0');
    assert.equal(live(env, j).length, 0);
  });

  it('matchers: exit codes skip 0, NotIn, init containers, conditions by status; success rules by indexes or count', () => {
    const pod = (codes: number[], init: number[] = []): Pod =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'ns' },
        spec: { containers: [] },
        status: {
          phase: 'Failed',
          containerStatuses: codes.map((c, i) => ({ name: `c${i}`, ready: false, restartCount: 0, image: 'x', state: { terminated: { exitCode: c } } })),
          initContainerStatuses: init.map((c, i) => ({ name: `i${i}`, ready: false, restartCount: 0, image: 'x', state: { terminated: { exitCode: c } } })),
        },
      }) as unknown as Pod;
    const notIn = { rules: [{ action: 'Count' as const, onExitCodes: { operator: 'NotIn' as const, values: [1] } }, failJobRule] };
    assert.equal(matchPodFailurePolicy(notIn, pod([0])).action, undefined, 'exit 0 never matches');
    assert.equal(matchPodFailurePolicy(notIn, pod([2])).action, 'Count');
    const initRule = { rules: [{ action: 'FailJob' as const, onExitCodes: { operator: 'In' as const, values: [7] } }] };
    assert.match(
      matchPodFailurePolicy(initRule, pod([], [7])).message ?? '',
      /^Container i0 for pod ns\/p failed with exit code 7 matching FailJob rule at index 0$/,
    );
    assert.equal(matchPodFailurePolicy(undefined, pod([1])).countFailed, true);
    const ok = (...xs: number[]) => new Set(xs);
    assert.equal(matchSuccessPolicy({ rules: [{ succeededIndexes: '0-2' }] }, 5, ok(0, 1)), undefined);
    assert.equal(matchSuccessPolicy({ rules: [{ succeededIndexes: '0-2' }] }, 5, ok(0, 1, 2)), 'Matched rules at index 0');
    assert.equal(matchSuccessPolicy({ rules: [{ succeededIndexes: '4' }, { succeededCount: 2 }] }, 5, ok(0, 3)), 'Matched rules at index 1');
  });

  it('writes index lists as Kubernetes does: ranges, but two in a row as a pair', () => {
    assert.equal(compressIndexes([5, 0, 1, 2]), '0-2,5');
    assert.equal(compressIndexes([2, 3]), '2,3');
    assert.equal(compressIndexes([0, 1, 3, 4, 5, 8]), '0,1,3-5,8');
    assert.equal(compressIndexes([]), '');
  });

  it('the API server refuses policies Kubernetes refuses, naming the field', () => {
    const env = jobEnv();
    const refused = (spec: Partial<JobSpec>, re: RegExp, restartPolicy: 'Never' | 'OnFailure' = 'Never') => {
      const j = newJob('bad', spec);
      j.spec.template.spec.restartPolicy = restartPolicy;
      assert.throws(
        () => env.registry.create(j),
        (err: Error) => re.test(err.message),
        String(re),
      );
    };
    refused(
      { podFailurePolicy: { rules: [failJobRule] } },
      /spec\.template\.spec\.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified/,
      'OnFailure',
    );
    refused({ backoffLimitPerIndex: 1, completions: 2 }, /spec\.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode/);
    refused(
      { podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [1] } }] } },
      /spec\.podFailurePolicy\.rules\[0\]\.action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set/,
    );
    refused(
      { podFailurePolicy: { rules: [{ action: 'Count', onExitCodes: { operator: 'In', values: [0] } }] } },
      /values\[0\]: Invalid value: 0: must not be 0 for the In operator/,
    );
    refused({ podFailurePolicy: { rules: [{ action: 'Count' }] } }, /rules\[0\]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required/);
    refused({ successPolicy: { rules: [{ succeededCount: 1 }] }, completions: 2 }, /spec\.successPolicy: Invalid value: requires indexed completion mode/);
    refused(
      { completionMode: 'Indexed', completions: 3, successPolicy: { rules: [{ succeededIndexes: '1-5' }] } },
      /spec\.successPolicy\.rules\[0\]\.succeededIndexes: Invalid value: "1-5": too large: 5/,
    );
  });
});
