// `kip create job NAME --image=IMAGE [-- COMMAND [ARGS...]]`, a Job of one pod that runs once
// (restartPolicy Never), and `kip create job NAME --from=cronjob/CRONJOB`, which runs a CronJob's
// job now, by hand: its job template, owned by the CronJob, marked as started manually. Both as
// kubectl's create job builds them.

import { formatFieldErrors, resolveResource, resourceByKind, validateObject, type CronJob, type Job } from '@kip/shared';
import type { Context } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { objectName } from '../printers/name.js';
import { parseOutputFormat, printStructured } from '../printers/output.js';

/** kubectl's mark on a Job made from a CronJob by hand. */
export const ANNOTATION_INSTANTIATE = 'cronjob.kubernetes.io/instantiate';

export function jobFromCronJob(name: string, cj: CronJob): Job {
  const tpl = cj.spec.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cj.metadata.namespace,
      annotations: { ...tpl.metadata?.annotations, [ANNOTATION_INSTANTIATE]: 'manual' },
      ...(tpl.metadata?.labels ? { labels: { ...tpl.metadata.labels } } : {}),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name, uid: cj.metadata.uid!, controller: true }],
    },
    spec: structuredClone(tpl.spec),
  };
}

/** A Job of one container of the image, running the command if one is given, once. */
export function jobFromImage(name: string, namespace: string, image: string, command: string[]): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: {
      template: { spec: { containers: [{ name, image, ...(command.length > 0 ? { command } : {}) }], restartPolicy: 'Never' } },
    },
  };
}

async function fromCronJob(ctx: Context, name: string, from: string): Promise<Job> {
  const [type, source, extra] = from.split('/');
  if (!type || !source || extra !== undefined || resolveResource(type)?.kind !== 'CronJob')
    throw new UsageError(`--from must be cronjob/NAME, got "${from}": only CronJobs can be the source of a job`);
  const cj = await ctx.api.get<CronJob>(resourceByKind('CronJob')!, ctx.namespace, source);
  return jobFromCronJob(name, cj);
}

export async function createJob(ctx: Context, args: string[], dryRun: boolean): Promise<number> {
  // NAME, then (after --) the command: kip create job pi --image=busybox -- sh -c 'echo done'
  const [name, ...command] = args;
  if (!name) throw new UsageError('a NAME is required, e.g. kip create job backup-now --from=cronjob/backup');
  const from = ctx.flags.str('from');
  const images = ctx.flags.list('image');
  if (from && images.length > 0) throw new UsageError('either --image or --from must be specified, not both');
  if (from && command.length > 0) throw new UsageError('cannot specify --from and command');
  if (!from && images.length !== 1) throw new UsageError('kip create job needs --image=IMAGE (one) or --from=cronjob/NAME');
  const job = from ? await fromCronJob(ctx, name, from) : jobFromImage(name, ctx.namespace, images[0]!, command);
  const errors = validateObject(job);
  if (errors.length > 0) throw new CliError(formatFieldErrors('Job', name, errors));
  const created = dryRun ? job : await ctx.api.create<Job>(resourceByKind('Job')!, ctx.namespace, job);
  const format = parseOutputFormat(ctx.flags.str('output'), ['table', 'json', 'yaml', 'name']);
  if (format === 'table') ctx.out(`${objectName(job)} created${dryRun ? ' (dry run)' : ''}\n`);
  else ctx.out(printStructured(format, [created], true));
  return 0;
}
