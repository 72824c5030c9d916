// The Jobs `kip create job` builds, as kubectl's create job builds them.

import assert from 'node:assert/strict';
import type { CronJob } from '@kip/shared';
import { jobFromCronJob, jobFromImage } from '@kip/scripts';

describe('cli create job', () => {
  it('makes a Job of one container that runs once from an image and a command', () => {
    assert.deepEqual(jobFromImage('pi', 'default', 'busybox', ['sh', '-c', 'echo done']), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'pi', image: 'busybox', command: ['sh', '-c', 'echo done'] }], restartPolicy: 'Never' } } },
    });
    assert.equal(jobFromImage('p', 'default', 'pause', []).spec.template.spec.containers[0]!.command, undefined, 'the image its own command');
  });

  it("copies a CronJob's job template, owned by the CronJob and marked as made by hand", () => {
    const cj: CronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup', namespace: 'ops', uid: 'u-1' },
      spec: {
        schedule: '@daily',
        jobTemplate: {
          metadata: { labels: { team: 'ops' }, annotations: { note: 'x' } },
          spec: { backoffLimit: 2, template: { spec: { containers: [{ name: 'b', image: 'busybox' }], restartPolicy: 'OnFailure' } } },
        },
      },
    };
    const job = jobFromCronJob('backup-now', cj);
    assert.deepEqual(job.metadata, {
      name: 'backup-now',
      namespace: 'ops',
      annotations: { note: 'x', 'cronjob.kubernetes.io/instantiate': 'manual' },
      labels: { team: 'ops' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'backup', uid: 'u-1', controller: true }],
    });
    assert.deepEqual(job.spec, cj.spec.jobTemplate.spec);
    assert.notEqual(job.spec, cj.spec.jobTemplate.spec, 'a copy');
  });
});
