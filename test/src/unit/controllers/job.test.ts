// The Job controller and the TTL-after-finished controller on a fake clock, with the API server's
// Job admission (selector generation) in front of the in-memory store.

import assert from 'node:assert/strict';
import type { Job, JobSpec, Pod } from '@kip/shared';
import { ApiError, JobController, jobSelectorAdmission, JobTTLController } from '@kip/controlplane';
import { events, get, makeEnv, messages, NS, pods, setPhase, SyncDriver, type Env } from './fixtures.js';

const BACKOFF_MS = 1000;

interface JobEnv extends Env {
  jc: JobController;
  driver: SyncDriver;
}

function jobEnv(): JobEnv {
  const env = makeEnv({ nodeCanTerminate: () => false });
  env.registry.addAdmission(jobSelectorAdmission);
  const jc = new JobController(env.deps, { backoffInitialMs: BACKOFF_MS, backoffMaxMs: 8 * BACKOFF_MS });
  return { ...env, jc, driver: new SyncDriver(jc, env.clock) };
}

function newJob(name: string, spec: Partial<JobSpec> = {}, restartPolicy: 'Never' | 'OnFailure' = 'Never'): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo done'] }], restartPolicy } }, ...spec },
  };
}

const job = (env: Env, name: string) => get<Job>(env, 'Job', name)!;
const live = (env: Env, owner: Job) => pods(env, owner).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
const conditions = (j: Job) => (j.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}/${c.reason}`);

/** Ends every running pod of the Job with a phase, as the kubelet reports it. */
function finishAll(env: JobEnv, owner: Job, phase: 'Succeeded' | 'Failed'): void {
  for (const p of live(env, owner)) setPhase(env, p, phase);
  env.driver.drain();
}

describe('controllers/job', () => {
  it('generates the selector and pod labels from the uid on create, and refuses a hand-written selector', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('pi'));
    const uid = j.metadata.uid!;
    assert.deepEqual(j.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    assert.deepEqual(j.spec.template.metadata?.labels, {
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': uid,
      'job-name': 'pi',
    });
    assert.deepEqual(j.metadata.labels, j.spec.template.metadata?.labels, 'a Job without labels takes its pods');
    assert.deepEqual(
      {
        parallelism: j.spec.parallelism,
        completions: j.spec.completions,
        backoffLimit: j.spec.backoffLimit,
        mode: j.spec.completionMode,
        suspend: j.spec.suspend,
      },
      { parallelism: 1, completions: 1, backoffLimit: 6, mode: 'NonIndexed', suspend: false },
    );
    assert.throws(
      () => env.registry.create(newJob('own', { selector: { matchLabels: { app: 'x' } } })),
      (e: unknown) => e instanceof ApiError && /spec\.selector: Invalid value: "app=x": `selector` not auto-generated/.test(e.message),
    );
    const manual = env.registry.create<Job>(
      newJob('manual', {
        manualSelector: true,
        selector: { matchLabels: { app: 'x' } },
        template: { metadata: { labels: { app: 'x' } }, spec: newJob('x').spec.template.spec },
      }),
    );
    assert.deepEqual(manual.spec.selector, { matchLabels: { app: 'x' } });
  });

  it('refuses pods that restart Always, an Indexed Job without completions, and changes to the template', () => {
    const env = jobEnv();
    const always = newJob('a');
    always.spec.template.spec.restartPolicy = 'Always';
    const unset = newJob('u');
    delete unset.spec.template.spec.restartPolicy;
    for (const bad of [always, unset])
      assert.throws(
        () => env.registry.create(bad),
        (e: unknown) =>
          e instanceof ApiError && e.message.includes('spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"'),
      );
    assert.throws(
      () => env.registry.create(newJob('i', { completionMode: 'Indexed' })),
      (e: unknown) => e instanceof ApiError && e.message.includes('spec.completions: Required value: when completion mode is Indexed'),
    );
    assert.throws(
      () => env.registry.create(newJob('j'.repeat(64))),
      (e: unknown) => e instanceof ApiError && /spec\.template\.labels: Invalid value: "j+": must be no more than 63 characters/.test(e.message),
    );
    const j = env.registry.create<Job>(newJob('pi'));
    const changed = structuredClone(j);
    changed.spec.template.spec.containers[0]!.image = 'alpine';
    assert.throws(() => env.registry.update(changed), /spec\.template: Invalid value: field is immutable/);
    // A re-applied manifest leaves out the generated selector and labels: they are kept.
    const reapplied = newJob('pi');
    reapplied.metadata.resourceVersion = j.metadata.resourceVersion;
    const kept = env.registry.update<Job>(reapplied);
    assert.deepEqual(kept.spec.selector, j.spec.selector);
  });

  it('runs completions pods, parallelism at a time, and completes: SuccessCriteriaMet, then Complete', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('pi', { completions: 3, parallelism: 2 }));
    env.driver.drain();
    let running = live(env, j);
    assert.equal(running.length, 2);
    for (const p of running) {
      assert.match(p.metadata.name, /^pi-[a-z0-9]{5}$/);
      assert.equal(p.metadata.labels?.['job-name'], 'pi');
      assert.deepEqual(
        p.metadata.ownerReferences?.map((r) => `${r.kind}/${r.name}/${r.controller}`),
        ['Job/pi/true'],
      );
      assert.equal(p.spec.restartPolicy, 'Never');
    }
    assert.equal(job(env, 'pi').status?.active, 2);
    assert.ok(job(env, 'pi').status?.startTime);
    finishAll(env, j, 'Succeeded');
    running = live(env, j);
    assert.equal(running.length, 1, 'one completion left');
    assert.equal(job(env, 'pi').status?.succeeded, 2);
    env.clock.advance(5000);
    finishAll(env, j, 'Succeeded');
    const done = job(env, 'pi');
    assert.deepEqual(conditions(done), ['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
    assert.equal(done.status?.succeeded, 3);
    assert.equal(done.status?.active, 0);
    assert.equal(done.status?.completionTime, new Date(env.clock.now()).toISOString().replace('.000', ''));
    assert.equal(messages(env, 'SuccessfulCreate').length, 3);
    assert.deepEqual(messages(env, 'Completed'), ['Job completed']);
    assert.equal(pods(env, j).length, 3, 'finished pods stay, as in Kubernetes');
  });

  it('replaces failed pods after a doubling backoff and fails past backoffLimit, deleting what still runs', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('bad', { backoffLimit: 2, parallelism: 1, completions: 1 }));
    env.driver.drain();
    const created = () => messages(env, 'SuccessfulCreate').length;
    assert.equal(created(), 1);
    finishAll(env, j, 'Failed');
    assert.equal(created(), 1, 'no replacement before the backoff');
    env.clock.advance(BACKOFF_MS - 1);
    env.driver.drain();
    assert.equal(created(), 1);
    env.clock.advance(1);
    env.driver.drain();
    assert.equal(created(), 2, 'replaced after 1 s');
    finishAll(env, j, 'Failed');
    env.clock.advance(2 * BACKOFF_MS - 1);
    env.driver.drain();
    assert.equal(created(), 2, 'the second wait is twice as long');
    env.clock.advance(1);
    env.driver.drain();
    assert.equal(created(), 3);
    assert.equal(job(env, 'bad').status?.failed, 2);
    finishAll(env, j, 'Failed');
    const failed = job(env, 'bad');
    assert.deepEqual(conditions(failed), ['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
    assert.equal(failed.status?.failed, 3);
    assert.equal(failed.status?.completionTime, undefined);
    const warning = events(env, 'BackoffLimitExceeded');
    assert.deepEqual(
      warning.map((e) => [e.type, e.message]),
      [['Warning', 'Job has reached the specified backoff limit']],
    );
    env.clock.advance(60_000);
    env.driver.drain();
    assert.equal(created(), 3, 'a failed Job starts nothing');
  });

  it('counts restarts in place toward backoffLimit when pods restart OnFailure', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('crashy', { backoffLimit: 2 }, 'OnFailure'));
    env.driver.drain();
    const [p] = live(env, j);
    const next = structuredClone(env.store.get<Pod>('Pod', NS, p!.metadata.name)!);
    next.status = {
      phase: 'Running',
      containerStatuses: [
        { name: 'main', ready: false, restartCount: 2, image: 'busybox', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: {} },
      ],
    };
    env.registry.updateStatus(next);
    env.driver.drain();
    const st = job(env, 'crashy');
    assert.deepEqual(conditions(st), ['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
    assert.equal(env.store.get('Pod', NS, p!.metadata.name), undefined, 'the crashing pod is deleted');
  });

  it('fails a Job active longer than activeDeadlineSeconds', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('slow', { activeDeadlineSeconds: 30 }));
    env.driver.drain();
    assert.equal(live(env, j).length, 1);
    env.clock.advance(29_999);
    env.driver.drain();
    assert.deepEqual(conditions(job(env, 'slow')), []);
    env.clock.advance(1);
    env.driver.drain();
    assert.deepEqual(conditions(job(env, 'slow')), ['FailureTarget/DeadlineExceeded', 'Failed/DeadlineExceeded']);
    assert.equal(live(env, j).length, 0);
    assert.deepEqual(messages(env, 'DeadlineExceeded'), ['Job was active longer than specified deadline']);
  });

  it('suspends (deleting its pods, not counting them as failed) and resumes', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('later', { suspend: true, parallelism: 2, completions: 2 }));
    env.driver.drain();
    assert.equal(pods(env, j).length, 0);
    assert.deepEqual(conditions(job(env, 'later')), ['Suspended/JobSuspended']);
    assert.equal(job(env, 'later').status?.startTime, undefined);
    const resume = (suspend: boolean) => {
      const next = structuredClone(job(env, 'later'));
      next.spec.suspend = suspend;
      env.registry.update(next);
      env.driver.drain();
    };
    resume(false);
    assert.equal(live(env, j).length, 2);
    assert.deepEqual(messages(env, 'Resumed'), ['Job resumed']);
    assert.equal(job(env, 'later').status?.conditions?.find((c) => c.type === 'Suspended')?.status, 'False');
    resume(true);
    assert.equal(live(env, j).length, 0);
    assert.equal(job(env, 'later').status?.failed, 0);
    assert.deepEqual(conditions(job(env, 'later')), ['Suspended/JobSuspended']);
    assert.deepEqual(
      events(env, 'Suspended').map((e) => [e.message, e.count]),
      [['Job suspended', 2]],
    );
  });

  it('counts a running pod deleted by someone else as failed, and replaces it', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('gone'));
    env.driver.drain();
    const [p] = live(env, j);
    env.registry.delete('Pod', NS, p!.metadata.name);
    env.driver.drain();
    assert.equal(job(env, 'gone').status?.failed, 1);
    env.clock.advance(BACKOFF_MS);
    env.driver.drain();
    assert.equal(live(env, j).length, 1);
  });

  it("gives an Indexed Job's init containers the index too, as the docs' indexed-job.yaml reads it in one", () => {
    const env = jobEnv();
    const j = newJob('idx-init', { completionMode: 'Indexed', completions: 2, parallelism: 2 });
    j.spec.template.spec.initContainers = [{ name: 'input', image: 'bash', command: ['bash', '-c', 'echo $JOB_COMPLETION_INDEX'] }];
    const created = env.registry.create<Job>(j);
    env.driver.drain();
    const running = live(env, created);
    assert.equal(running.length, 2);
    for (const p of running) {
      const i = p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
      assert.deepEqual(p.spec.initContainers?.[0]?.env, [{ name: 'JOB_COMPLETION_INDEX', value: i }]);
      assert.deepEqual(p.spec.containers[0]!.env, [{ name: 'JOB_COMPLETION_INDEX', value: i }]);
    }
  });

  it('runs an Indexed Job: one pod per index with its index in env, annotation and hostname', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('idx', { completionMode: 'Indexed', completions: 3, parallelism: 3 }));
    env.driver.drain();
    const running = live(env, j);
    assert.deepEqual(running.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort(), ['0', '1', '2']);
    for (const p of running) {
      const i = p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
      assert.match(p.metadata.name, new RegExp(`^idx-${i}-[a-z0-9]{5}$`));
      assert.deepEqual(p.spec.containers[0]!.env, [{ name: 'JOB_COMPLETION_INDEX', value: i }]);
      assert.equal(p.spec.hostname, `idx-${i}`);
    }
    const one = running.find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '1')!;
    setPhase(env, one, 'Succeeded');
    env.driver.drain();
    assert.equal(job(env, 'idx').status?.completedIndexes, '1');
    const zero = running.find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '0')!;
    setPhase(env, zero, 'Failed');
    env.driver.drain();
    assert.deepEqual(
      live(env, j).map((p) => p.metadata.name),
      [running.find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '2')!.metadata.name],
      'backing off',
    );
    env.clock.advance(BACKOFF_MS);
    env.driver.drain();
    const again = live(env, j)
      .map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'])
      .sort();
    assert.deepEqual(again, ['0', '2'], 'the failed index runs again');
    finishAll(env, j, 'Succeeded');
    assert.equal(job(env, 'idx').status?.completedIndexes, '0-2');
    assert.deepEqual(conditions(job(env, 'idx')), ['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
  });

  it('deletes a finished Job once ttlSecondsAfterFinished have passed', () => {
    const env = jobEnv();
    const ttl = new JobTTLController(env.deps);
    const ttlDriver = new SyncDriver(ttl, env.clock);
    const j = env.registry.create<Job>(newJob('short', { ttlSecondsAfterFinished: 10 }));
    env.driver.drain();
    finishAll(env, j, 'Succeeded');
    ttlDriver.drain();
    assert.ok(get(env, 'Job', 'short'));
    env.clock.advance(9_999);
    ttlDriver.drain();
    assert.ok(get(env, 'Job', 'short'));
    env.clock.advance(1);
    ttlDriver.drain();
    assert.equal(get(env, 'Job', 'short'), undefined);
    ttlDriver.close();
  });

  it('picks up after a restart from the status, without counting finished pods twice', () => {
    const env = jobEnv();
    const j = env.registry.create<Job>(newJob('resume', { completions: 3, parallelism: 1 }));
    env.driver.drain();
    finishAll(env, j, 'Succeeded');
    assert.equal(job(env, 'resume').status?.succeeded, 1);
    env.driver.close();
    const fresh = new JobController(env.deps, { backoffInitialMs: BACKOFF_MS });
    const d2 = new SyncDriver(fresh, env.clock);
    d2.resync();
    d2.drain();
    assert.equal(job(env, 'resume').status?.succeeded, 1);
    assert.equal(live(env, j).length, 1);
    d2.close();
  });
});
