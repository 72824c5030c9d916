// The CronJob controller on a fake clock: Jobs at the schedule's times, named by the scheduled
// minute, the concurrency policies, history limits, starting deadlines, suspension and time zones.

import assert from 'node:assert/strict';
import { isoTime, type CronJob, type CronJobSpec, type Job } from '@kip/shared';
import { ApiError, CronJobController, jobSelectorAdmission } from '@kip/controlplane';
import { events, get, makeEnv, messages, NS, SyncDriver, type Env } from './fixtures.js';

interface CronEnv extends Env {
  driver: SyncDriver;
}

function cronEnv(): CronEnv {
  const env = makeEnv();
  env.registry.addAdmission(jobSelectorAdmission);
  const cc = new CronJobController(env.deps, { defaultTimeZone: 'UTC' });
  return { ...env, driver: new SyncDriver(cc, env.clock) };
}

function newCronJob(name: string, schedule: string, spec: Partial<CronJobSpec> = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NS },
    spec: {
      schedule,
      jobTemplate: {
        metadata: { labels: { app: name } },
        spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox', command: ['sh', '-c', 'date'] }], restartPolicy: 'OnFailure' } } },
      },
      ...spec,
    },
  };
}

const jobs = (env: Env) =>
  env.store
    .list<Job>('Job', { namespace: NS })
    .items.map((j) => j.metadata.name)
    .sort();
const cron = (env: Env, name: string) => get<CronJob>(env, 'CronJob', name)!;
const minutes = (iso: string) => Math.floor(Date.parse(iso) / 60_000);

/** Moves time on and lets the controller act on what fell due. */
function tick(env: CronEnv, ms: number): void {
  env.clock.advance(ms);
  env.driver.drain();
}

/** Marks a Job finished, as the Job controller would. */
function finish(env: Env, name: string, result: 'Complete' | 'Failed'): void {
  const j = structuredClone(get<Job>(env, 'Job', name)!);
  const t = isoTime(env.clock.now());
  j.status = { ...j.status, startTime: j.status?.startTime ?? t, conditions: [{ type: result, status: 'True', lastTransitionTime: t }] };
  if (result === 'Complete') j.status.completionTime = t;
  env.registry.updateStatus(j);
}

describe('controllers/cronjob', () => {
  it('creates a Job at each scheduled minute, named by it and owned by the CronJob', () => {
    const env = cronEnv();
    const cj = env.registry.create<CronJob>(newCronJob('hello', '* * * * *'));
    env.driver.drain();
    assert.deepEqual(jobs(env), [], 'nothing before the first scheduled time');
    tick(env, 60_100);
    const first = `hello-${minutes('2026-01-01T00:01:00Z')}`;
    assert.deepEqual(jobs(env), [first]);
    const j = get<Job>(env, 'Job', first)!;
    assert.deepEqual(
      j.metadata.ownerReferences?.map((r) => `${r.kind}/${r.name}/${r.uid === cj.metadata.uid}`),
      ['CronJob/hello/true'],
    );
    assert.equal(j.metadata.labels?.app, 'hello');
    assert.equal(j.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-01-01T00:01:00Z');
    assert.equal(j.spec.template.spec.restartPolicy, 'OnFailure');
    const st = cron(env, 'hello').status!;
    assert.equal(st.lastScheduleTime, '2026-01-01T00:01:00Z');
    assert.deepEqual(
      st.active?.map((r) => r.name),
      [first],
    );
    assert.deepEqual(messages(env, 'SuccessfulCreate'), [`Created job ${first}`]);
    tick(env, 60_000);
    assert.equal(jobs(env).length, 2, 'Allow: a second runs beside the first');
    finish(env, first, 'Complete');
    env.driver.drain();
    assert.equal(cron(env, 'hello').status?.active?.length, 1);
    assert.equal(cron(env, 'hello').status?.lastSuccessfulTime, isoTime(env.clock.now()));
    assert.deepEqual(messages(env, 'SawCompletedJob'), [`Saw completed job: ${first}, condition: Complete`]);
  });

  it('Forbid: skips a time while a Job runs and starts it late when that one finishes', () => {
    const env = cronEnv();
    env.registry.create(newCronJob('solo', '*/5 * * * *', { concurrencyPolicy: 'Forbid' }));
    env.driver.drain();
    tick(env, 5 * 60_000 + 100);
    const [first] = jobs(env);
    tick(env, 5 * 60_000);
    assert.deepEqual(jobs(env), [first]);
    assert.deepEqual(messages(env, 'JobAlreadyActive'), ['Not starting job because prior execution is running and concurrency policy is Forbid']);
    tick(env, 60_000);
    finish(env, first!, 'Complete');
    env.driver.drain();
    assert.deepEqual(jobs(env), [first, `solo-${minutes('2026-01-01T00:10:00Z')}`].sort());
  });

  it('Replace: deletes the running Job and starts the new one', () => {
    const env = cronEnv();
    env.registry.create(newCronJob('swap', '*/5 * * * *', { concurrencyPolicy: 'Replace' }));
    env.driver.drain();
    tick(env, 5 * 60_000 + 100);
    const [first] = jobs(env);
    tick(env, 5 * 60_000);
    const second = `swap-${minutes('2026-01-01T00:10:00Z')}`;
    assert.deepEqual(jobs(env), [second]);
    assert.deepEqual(messages(env, 'SuccessfulDelete'), [`Deleted job ${first}`]);
    assert.deepEqual(
      cron(env, 'swap').status?.active?.map((r) => r.name),
      [second],
    );
  });

  it('keeps successfulJobsHistoryLimit finished Jobs and failedJobsHistoryLimit failed ones', () => {
    const env = cronEnv();
    env.registry.create(newCronJob('hist', '* * * * *', { successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 }));
    env.driver.drain();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      tick(env, 60_000 + (i === 0 ? 100 : 0));
      const latest = jobs(env).find((n) => !made.includes(n))!;
      made.push(latest);
      finish(env, latest, i < 3 ? 'Complete' : 'Failed');
      env.driver.drain();
    }
    assert.deepEqual(jobs(env), [made[1], made[2], made[4]].sort(), 'the two newest successes and the newest failure');
  });

  it('starts nothing for times missed beyond startingDeadlineSeconds, then goes on with the next', () => {
    const env = cronEnv();
    env.registry.create(newCronJob('late', '*/10 * * * *', { startingDeadlineSeconds: 30 }));
    env.driver.drain();
    // The controller was away over 00:10 and comes back at 00:12.
    env.clock.stall(12 * 60_000);
    env.driver.resync();
    env.driver.drain();
    assert.deepEqual(jobs(env), []);
    tick(env, 8 * 60_000 + 100);
    assert.deepEqual(jobs(env), [`late-${minutes('2026-01-01T00:20:00Z')}`]);
  });

  it('without a deadline, starts only the latest of many missed times, with a warning past 100', () => {
    const env = cronEnv();
    env.registry.create(newCronJob('catchup', '* * * * *'));
    env.driver.drain();
    env.clock.stall(3 * 3600_000 + 30_000);
    env.driver.resync();
    env.driver.drain();
    assert.deepEqual(jobs(env), [`catchup-${minutes('2026-01-01T03:00:00Z')}`]);
    assert.equal(events(env, 'TooManyMissedTimes').length, 1);
  });

  it('does nothing while suspended', () => {
    const env = cronEnv();
    env.registry.create(newCronJob('off', '* * * * *', { suspend: true }));
    env.driver.drain();
    env.clock.stall(5 * 60_000);
    env.driver.resync();
    env.driver.drain();
    assert.deepEqual(jobs(env), []);
  });

  it('runs at the schedule in its time zone', () => {
    const env = cronEnv();
    env.registry.create(newCronJob('tokyo', '0 9 * * *', { timeZone: 'Asia/Tokyo' }));
    env.driver.drain();
    // 09:00 in Tokyo is 00:00 UTC: the next is a day after the fake clock's start.
    tick(env, 24 * 3600_000 - 60_000);
    assert.deepEqual(jobs(env), []);
    tick(env, 60_000 + 100);
    const [name] = jobs(env);
    assert.equal(name, `tokyo-${minutes('2026-01-02T00:00:00Z')}`);
    assert.equal(get<Job>(env, 'Job', name!)!.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-01-02T09:00:00+09:00');
  });

  it('refuses a bad schedule or time zone by field', () => {
    const env = cronEnv();
    const refused = (cj: CronJob, text: string) =>
      assert.throws(
        () => env.registry.create(cj),
        (e: unknown) => e instanceof ApiError && e.message.includes(text),
      );
    refused(newCronJob('a', '* * *'), 'spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]');
    refused(newCronJob('b', '* * * * *', { timeZone: 'Mars/Olympus' }), 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus');
    const always = newCronJob('c', '* * * * *');
    always.spec.jobTemplate.spec.template.spec.restartPolicy = 'Always';
    refused(always, 'spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always"');
    refused(newCronJob('x'.repeat(53), '* * * * *'), 'metadata.name: Invalid value: "xxxxx');
    refused(newCronJob('x'.repeat(53), '* * * * *'), 'must be no more than 52 characters');
  });
});
