// Jobs and CronJobs on a real cluster: pods run as processes by the agents, finish, and the Job
// controller counts them. A Job of three completions two at a time completes; a failing one
// stops at its backoff limit; a finished Job with a TTL goes away with its pods; and a CronJob
// applied with kubectl has its job run by hand with `kip create job --from` and kubectl's (sent as
// protobuf). kubectl reads the Jobs too. (CronJob scheduling itself, which takes minutes of real
// time, is tested on a fake clock in the unit tests.)

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bufferIO, main } from '@kip/scripts';
import type { CronJob, Event, Job, Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

const JOB = (name: string, spec: string, command: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec}
  template:
    spec:
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "${command}"]
      restartPolicy: Never
`;

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const CRONJOB = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: yearly
spec:
  schedule: "0 0 1 1 *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox
            command: ["sh", "-c", "echo Hello from the Kubernetes cluster"]
          restartPolicy: OnFailure
`;

describe('integration: jobs', function () {
  this.timeout(180_000);
  let cluster: TestCluster;

  before(async () => {
    requireKubectl();
    // TLS: kubectl sends its bearer token only over it.
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
    // The docs' every-minute CronJob, applied first: its first Job is due within a minute, while
    // the other tests run; the last test waits for it.
    await apply(readFileSync(`${ROOT}examples/cronjob.yaml`, 'utf8'));
  });

  after(async () => {
    await cluster?.stop();
  });

  async function kip(argv: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
    const io = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig }, ...(stdin !== undefined ? { stdin } : {}) });
    const code = await main(argv, io);
    return { code, out: io.stdout.text(), err: io.stderr.text() };
  }

  async function apply(yaml: string): Promise<void> {
    const r = await kip(['apply', '-f', '-'], yaml);
    assert.equal(r.code, 0, r.err);
  }

  const condition = (j: Job | undefined, type: string) => j?.status?.conditions?.find((c) => c.type === type && c.status === 'True');

  async function finished(name: string, type: 'Complete' | 'Failed'): Promise<Job> {
    let job: Job | undefined;
    await eventually(
      `job ${name} ${type}`,
      async () => {
        job = await cluster.api.get<Job>('jobs', name);
        return !!condition(job, type);
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    ).catch((err) => {
      throw new Error(`${err}\njob: ${JSON.stringify(job?.status)}\n${cluster.dump()}`);
    });
    return job!;
  }

  const podsOf = (job: string) => cluster.api.list<Pod>('pods', { labelSelector: `job-name=${job}` });

  it("runs a Job of three completions two at a time to Complete, with the pods' output kept", async () => {
    await apply(JOB('pi', '  completions: 3\n  parallelism: 2', 'echo done'));
    const job = await finished('pi', 'Complete');
    assert.equal(job.status?.succeeded, 3);
    assert.equal(job.status?.active, 0);
    assert.ok(condition(job, 'SuccessCriteriaMet'));
    assert.ok(job.status?.completionTime);
    const pods = await podsOf('pi');
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.equal(p.status?.phase, 'Succeeded');
      const log = await cluster.api.request<string>('GET', `/api/v1/namespaces/default/pods/${p.metadata.name}/log`);
      assert.match(String(log.body), /^done\n?$/);
    }
    const get = await kip(['get', 'jobs']);
    assert.match(get.out, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/);
    assert.match(get.out, /\npi\s+Complete\s+3\/3\s+\d+s\s+\d+s\n/);
    // kubectl reads the same table from the server, and describes the Job with its own describer.
    const kubectl = await runKubectl(['get', 'jobs', 'pi'], { kubeconfig: cluster.kubeconfig, cacheDir: `${cluster.dataDir}/kube-cache` });
    assert.equal(kubectl.code, 0, kubectl.err);
    assert.match(kubectl.out, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\npi\s+Complete\s+3\/3\s/);
    const kubectlDescribe = await runKubectl(['describe', 'job', 'pi'], { kubeconfig: cluster.kubeconfig, cacheDir: `${cluster.dataDir}/kube-cache` });
    assert.equal(kubectlDescribe.code, 0, kubectlDescribe.err);
    assert.match(kubectlDescribe.out, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 3 Succeeded \/ 0 Failed/);
    const describe = await kip(['describe', 'job', 'pi']);
    assert.match(describe.out, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 3 Succeeded \/ 0 Failed/);
    assert.match(describe.out, /Normal\s+Completed\s+.*Job completed/);
    // Deleting the Job takes its pods with it.
    const del = await kip(['delete', 'job', 'pi']);
    assert.equal(del.code, 0, del.err);
    await eventually('the pods of the deleted job gone', async () => (await podsOf('pi')).length === 0, { timeoutMs: 30_000 });
  });

  it('stops a failing Job at backoffLimit: BackoffLimitExceeded', async () => {
    await apply(JOB('fails', '  backoffLimit: 1', 'echo failing; exit 3'));
    const job = await finished('fails', 'Failed');
    assert.equal(job.status?.failed, 2, 'the first run and one retry');
    assert.equal(condition(job, 'Failed')?.reason, 'BackoffLimitExceeded');
    const pods = await podsOf('fails');
    assert.deepEqual(
      pods.map((p) => [p.status?.phase, p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode]),
      [
        ['Failed', 3],
        ['Failed', 3],
      ],
    );
    const events = await cluster.api.list<Event>('events', { fieldSelector: 'involvedObject.name=fails' });
    assert.ok(events.some((e) => e.type === 'Warning' && e.reason === 'BackoffLimitExceeded' && e.message === 'Job has reached the specified backoff limit'));
    assert.match((await kip(['get', 'job', 'fails'])).out, /\nfails\s+Failed\s+0\/1\s/);
  });

  it('runs a command once with kip create job --image', async () => {
    const created = await kip(['create', 'job', 'oneshot', '--image=busybox', '--', 'sh', '-c', 'echo one shot']);
    assert.equal(created.code, 0, created.err);
    assert.equal(created.out, 'job.batch/oneshot created\n');
    await finished('oneshot', 'Complete');
    const [pod] = await podsOf('oneshot');
    assert.equal(pod?.spec.restartPolicy, 'Never');
    const log = await cluster.api.request<string>('GET', `/api/v1/namespaces/default/pods/${pod!.metadata.name}/log`);
    assert.match(String(log.body), /^one shot\n?$/);
  });

  it('deletes a finished Job and its pods after ttlSecondsAfterFinished', async () => {
    await apply(JOB('brief', '  ttlSecondsAfterFinished: 2', 'true'));
    await finished('brief', 'Complete');
    await eventually('the job deleted after its TTL', async () => (await cluster.api.get<Job>('jobs', 'brief')) === undefined, { timeoutMs: 30_000 });
    await eventually('its pod gone with it', async () => (await podsOf('brief')).length === 0, { timeoutMs: 30_000 });
  });

  it('applies a CronJob with kubectl, and runs its job now with kip and kubectl create job --from, owned by the CronJob', async () => {
    // Through kubectl: created, then applied again unchanged (a patch), and explained from the OpenAPI.
    const kubectlOpts = { kubeconfig: cluster.kubeconfig, cacheDir: `${cluster.dataDir}/kube-cache` };
    const file = `${cluster.dataDir}/cronjob.yaml`;
    writeFileSync(file, CRONJOB);
    for (const expected of ['cronjob.batch/yearly created\n', 'cronjob.batch/yearly unchanged\n']) {
      const applied = await runKubectl(['apply', '-f', file], kubectlOpts);
      assert.equal(applied.code, 0, applied.err);
      assert.equal(applied.out, expected);
    }
    const explained = await runKubectl(['explain', 'cronjob.spec'], kubectlOpts);
    assert.equal(explained.code, 0, explained.err);
    assert.match(explained.out, /^\s+schedule\s+<string> -required-/m);
    const cj = await cluster.api.get<CronJob>('cronjobs', 'yearly');
    const get = await kip(['get', 'cronjobs', 'yearly']);
    assert.match(get.out, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\n/);
    assert.match(get.out, /\nyearly\s+0 0 1 1 \*\s+<none>\s+False\s+0\s+<none>\s+\d+s\n/);
    const created = await kip(['create', 'job', 'hello-now', '--from=cronjob/yearly']);
    assert.equal(created.code, 0, created.err);
    assert.equal(created.out, 'job.batch/hello-now created\n');
    const job = await finished('hello-now', 'Complete');
    assert.deepEqual(
      job.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid]),
      [['CronJob', 'yearly', cj!.metadata.uid]],
    );
    assert.equal(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
    const [pod] = await podsOf('hello-now');
    const log = await cluster.api.request<string>('GET', `/api/v1/namespaces/default/pods/${pod!.metadata.name}/log`);
    assert.match(String(log.body), /Hello from the Kubernetes cluster/);
    // kubectl sends the Job as protobuf.
    const kubectl = await runKubectl(['create', 'job', 'hello-kubectl', '--from=cronjob/yearly'], {
      kubeconfig: cluster.kubeconfig,
      cacheDir: `${cluster.dataDir}/kube-cache`,
    });
    assert.equal(kubectl.code, 0, kubectl.err);
    assert.equal(kubectl.out, 'job.batch/hello-kubectl created\n');
    const viaKubectl = await finished('hello-kubectl', 'Complete');
    assert.deepEqual(
      viaKubectl.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid]),
      [['CronJob', 'yearly', cj!.metadata.uid]],
    );
  });

  it("starts the docs' every-minute CronJob's Job at the next minute, named by it, and notes its success", async () => {
    let job: Job | undefined;
    await eventually(
      'a job of the hello CronJob',
      async () => {
        const jobs = await cluster.api.list<Job>('jobs');
        job = jobs.find((j) => j.metadata.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === 'hello'));
        return job !== undefined;
      },
      { timeoutMs: 75_000, intervalMs: 500 },
    );
    const scheduled = job!.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'];
    assert.ok(scheduled, 'the scheduled-timestamp annotation');
    assert.equal(new Date(scheduled).getUTCSeconds(), 0, 'on a minute');
    assert.equal(job!.metadata.name, `hello-${Date.parse(scheduled) / 60_000}`);
    await finished(job!.metadata.name, 'Complete');
    await eventually(
      'the CronJob noting the success',
      async () => {
        const cj = await cluster.api.get<CronJob>('cronjobs', 'hello');
        return !!cj?.status?.lastSuccessfulTime && !cj.status.active?.length && !!cj.status.lastScheduleTime;
      },
      { timeoutMs: 30_000 },
    );
    const [pod] = await podsOf(job!.metadata.name);
    const log = await cluster.api.request<string>('GET', `/api/v1/namespaces/default/pods/${pod!.metadata.name}/log`);
    assert.match(String(log.body), /Hello from the Kubernetes cluster/);
    assert.equal((await kip(['delete', 'cronjob', 'hello'])).code, 0);
  });
});
