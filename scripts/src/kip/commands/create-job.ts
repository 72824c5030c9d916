// `kip create job NAME --from=cronjob/CRONJOB`: runs a CronJob's job now, by hand, as kubectl's
// create job does: the CronJob's job template, owned by the CronJob, marked as started manually.

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

export async function createJob(ctx: Context, args: string[], dryRun: boolean): Promise<number> {
  if (args.length !== 1) throw new UsageError('exactly one NAME is required, e.g. kip create job backup-now --from=cronjob/backup');
  const from = ctx.flags.str('from');
  if (!from) throw new UsageError('kip create job needs --from=cronjob/NAME');
  const [type, source, extra] = from.split('/');
  if (!type || !source || extra !== undefined || resolveResource(type)?.kind !== 'CronJob')
    throw new UsageError(`--from must be cronjob/NAME, got "${from}": only CronJobs can be the source of a job`);
  const cj = await ctx.api.get<CronJob>(resourceByKind('CronJob')!, ctx.namespace, source);
  const job = jobFromCronJob(args[0]!, cj);
  const errors = validateObject(job);
  if (errors.length > 0) throw new CliError(formatFieldErrors('Job', args[0]!, errors));
  const created = dryRun ? job : await ctx.api.create<Job>(resourceByKind('Job')!, ctx.namespace, job);
  const format = parseOutputFormat(ctx.flags.str('output'), ['table', 'json', 'yaml', 'name']);
  if (format === 'table') ctx.out(`${objectName(job)} created${dryRun ? ' (dry run)' : ''}\n`);
  else ctx.out(printStructured(format, [created], true));
  return 0;
}
