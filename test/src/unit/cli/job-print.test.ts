// `kip get` and `kip describe` of Jobs and CronJobs, as kubectl prints them.

import assert from 'node:assert/strict';
import type { CronJob, Job } from '@kip/shared';
import { columnsFor, describeText } from '@kip/scripts';
import { ago, NOW } from './fixtures.js';

const env = { now: NOW, offsetMinutes: 0 };

function job(status: Job['status'], spec: Partial<Job['spec']> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', creationTimestamp: ago(120_000), uid: 'u1' },
    spec: {
      completions: 3,
      parallelism: 2,
      backoffLimit: 4,
      completionMode: 'NonIndexed',
      suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
      template: {
        spec: { containers: [{ name: 'pi', image: 'perl:5.34.0', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'] }], restartPolicy: 'Never' },
      },
      ...spec,
    },
    status,
  };
}

describe('cli jobs and cronjobs', () => {
  it('prints STATUS, COMPLETIONS and DURATION as kubectl does', () => {
    const cols = columnsFor('Job');
    assert.deepEqual(cols.headers, ['STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    assert.deepEqual(cols.cells(job({ active: 2, succeeded: 1, startTime: ago(65_000) }), NOW), ['Running', '1/3', '65s', '2m']);
    const done = job({ succeeded: 3, startTime: ago(100_000), completionTime: ago(40_000), conditions: [{ type: 'Complete', status: 'True' }] });
    assert.deepEqual(cols.cells(done, NOW), ['Complete', '3/3', '60s', '2m']);
    assert.deepEqual(cols.cells(job({ conditions: [{ type: 'Failed', status: 'True' }] }), NOW).slice(0, 3), ['Failed', '0/3', '']);
    assert.equal(cols.cells(job({ conditions: [{ type: 'Suspended', status: 'True' }] }), NOW)[0], 'Suspended');
    // A work queue: no completions, several pods.
    assert.equal(cols.cells(job({}, { completions: undefined, parallelism: 4 }), NOW)[1], '0/1 of 4');
    assert.deepEqual(cols.wideCells(job({}), NOW), ['pi', 'perl:5.34.0', 'batch.kubernetes.io/controller-uid=u1']);
  });

  it('describes a Job with its counts and pod template', () => {
    const text = describeText(job({ active: 0, ready: 0, succeeded: 3, failed: 1, startTime: ago(100_000), completionTime: ago(40_000) }), { events: [] }, env);
    for (const line of [
      /^Name:\s+pi$/m,
      /^Selector:\s+batch\.kubernetes\.io\/controller-uid=u1$/m,
      /^Parallelism:\s+2$/m,
      /^Completions:\s+3$/m,
      /^Completion Mode:\s+NonIndexed$/m,
      /^Suspend:\s+false$/m,
      /^Backoff Limit:\s+4$/m,
      /^Duration:\s+60s$/m,
      /^Pods Statuses:\s+0 Active \(0 Ready\) \/ 3 Succeeded \/ 1 Failed$/m,
      /^Pod Template:$/m,
      /^\s+Image:\s+perl:5\.34\.0$/m,
      /^Events:\s+<none>$/m,
    ])
      assert.match(text, line);
  });

  it('prints and describes a CronJob', () => {
    const cj: CronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'hello', namespace: 'default', creationTimestamp: ago(600_000) },
      spec: {
        schedule: '* * * * *',
        concurrencyPolicy: 'Allow',
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox' }], restartPolicy: 'OnFailure' } } } },
      },
      status: { lastScheduleTime: ago(30_000), active: [{ kind: 'Job', name: 'hello-29000000' }] },
    };
    const cols = columnsFor('CronJob');
    assert.deepEqual(cols.headers, ['SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
    assert.deepEqual(cols.cells(cj, NOW), ['* * * * *', '<none>', 'False', '1', '30s', '10m']);
    const text = describeText(cj, { events: [] }, env);
    for (const line of [
      /^Schedule:\s+\* \* \* \* \*$/m,
      /^Concurrency Policy:\s+Allow$/m,
      /^Suspend:\s+False$/m,
      /^Successful Job History Limit:\s+3$/m,
      /^Starting Deadline Seconds:\s+<unset>$/m,
      /^Parallelism:\s+<unset>$/m,
      /^Active Jobs:\s+hello-29000000$/m,
    ])
      assert.match(text, line);
  });
});
