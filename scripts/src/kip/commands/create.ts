// `kip create -f`: create objects, failing on those that exist; and `kip create deployment`, the
// imperative shortcut for a deployment of one image.

import { formatFieldErrors, resourceByKind, validateObject, type Deployment, type KObject } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import type { ManifestObject } from '../manifests.js';
import { createJob } from './create-job.js';
import { eachManifest } from './each-manifest.js';
import { objectName } from '../printers/name.js';
import { parseOutputFormat, printStructured } from '../printers/output.js';
import { withLastApplied } from '../apply-merge.js';
import { DRY_RUN_FLAG, parseDryRun, VALIDATE_FLAG } from './apply.js';
import { FILENAME_FLAG, RECURSIVE_FLAG } from './common-flags.js';

/** A container name from an image reference: `registry/http-echo:1.2` -> `http-echo`. */
export function containerNameFor(image: string): string {
  const base = image.split('/').pop()!.split('@')[0]!.split(':')[0]!;
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '');
  return name || 'app';
}

export function buildDeployment(name: string, images: string[], replicas: number, port: number | undefined, namespace: string): Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          containers: images.map((image, i) => ({
            name: images.length > 1 ? `${containerNameFor(image)}-${i}` : containerNameFor(image),
            image,
            ...(port !== undefined && i === 0 ? { ports: [{ containerPort: port }] } : {}),
          })),
        },
      },
    },
  };
}

async function createOne(ctx: Context, m: ManifestObject, dryRun: boolean, saveConfig: boolean): Promise<KObject> {
  const body = saveConfig ? withLastApplied(m.object) : m.object;
  if (dryRun) return body;
  return ctx.api.create(m.resource, m.namespace, body);
}

async function createDeployment(ctx: Context, args: string[], dryRun: boolean): Promise<number> {
  if (args.length !== 1) throw new UsageError('exactly one NAME is required, e.g. kip create deployment web --image=http-echo');
  const images = ctx.flags.list('image');
  if (images.length === 0) throw new UsageError('required flag(s) "image" not set');
  const replicas = ctx.flags.int('replicas') ?? 1;
  if (replicas < 0) throw new UsageError(`--replicas must be greater than or equal to 0, got ${replicas}`);
  const port = ctx.flags.int('port');
  if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`--port must be between 1 and 65535, got ${port}`);
  const d = buildDeployment(args[0]!, images, replicas, port, ctx.namespace);
  const errors = validateObject(d);
  if (errors.length > 0) throw new CliError(formatFieldErrors('Deployment', args[0]!, errors));
  const r = resourceByKind('Deployment')!;
  const created = dryRun ? d : await ctx.api.create<Deployment>(r, ctx.namespace, d);
  const format = parseOutputFormat(ctx.flags.str('output'), ['table', 'json', 'yaml', 'name']);
  if (format === 'table') ctx.out(`${objectName(d)} created${dryRun ? ' (dry run)' : ''}\n`);
  else ctx.out(printStructured(format, [created], true));
  return 0;
}

async function createNamespace(ctx: Context, args: string[], dryRun: boolean): Promise<number> {
  if (args.length !== 1) throw new UsageError('exactly one NAME is required, e.g. kip create namespace team-a');
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: args[0]! } };
  const errors = validateObject(ns);
  if (errors.length > 0) throw new CliError(formatFieldErrors('Namespace', args[0]!, errors));
  const created = dryRun ? ns : await ctx.api.create<KObject>(resourceByKind('Namespace')!, undefined, ns);
  const format = parseOutputFormat(ctx.flags.str('output'), ['table', 'json', 'yaml', 'name']);
  if (format === 'table') ctx.out(`namespace/${args[0]} created${dryRun ? ' (dry run)' : ''}\n`);
  else ctx.out(printStructured(format, [created as KObject], true));
  return 0;
}

async function run(ctx: Context, args: string[]): Promise<number> {
  const dryRun = parseDryRun(ctx.flags.str('dry-run'));
  if (args.length > 0) {
    const sub = args[0]!.toLowerCase();
    if (sub === 'deployment' || sub === 'deploy') return createDeployment(ctx, args.slice(1), dryRun);
    if (sub === 'namespace' || sub === 'ns') return createNamespace(ctx, args.slice(1), dryRun);
    if (sub === 'job') return createJob(ctx, args.slice(1), dryRun);
    throw new UsageError(
      `unknown subcommand "${args[0]}": kip create takes -f FILE, "deployment NAME --image=IMAGE", "namespace NAME" or "job NAME --from=cronjob/NAME"`,
    );
  }
  const saveConfig = ctx.flags.bool('save-config');
  return eachManifest(ctx, 'create', async (m) => {
    const object = await createOne(ctx, m, dryRun, saveConfig);
    return { object, line: `${objectName(object)} created${dryRun ? ' (dry run)' : ''}\n` };
  });
}

export const createCommand: Command = {
  name: 'create',
  group: 'basic',
  summary: 'Create a resource from a file or from stdin',
  usage: [
    'create -f FILENAME [flags]',
    'create deployment NAME --image=IMAGE [--replicas=N] [--port=PORT] [flags]',
    'create namespace NAME [flags]',
    'create job NAME --image=IMAGE [-- COMMAND [ARGS...]] [flags]',
    'create job NAME --from=cronjob/NAME [flags]',
  ],
  description: 'Create objects from manifests (JSON or YAML, several per file); an object that already exists is an error. Use kip apply to create or update.',
  examples: [
    '  # Create the objects in web.yaml',
    '  kip create -f web.yaml',
    '',
    '  # Create a deployment of three http-echo pods listening on 8080',
    '  kip create deployment web --image=http-echo --replicas=3 --port=8080',
    '',
    '  # Run a job of one busybox pod that prints a line',
    "  kip create job hello --image=busybox -- sh -c 'echo hello'",
    '',
    '  # Run the job of the CronJob "backup" now',
    '  kip create job backup-now --from=cronjob/backup',
  ].join('\n'),
  flags: [
    FILENAME_FLAG,
    RECURSIVE_FLAG,
    { name: 'output', short: 'o', type: 'string', valueName: 'format', description: 'Output format: json, yaml or name. By default, one line per object.' },
    {
      name: 'image',
      type: 'strings',
      valueName: 'strings',
      description: 'create deployment, create job: the image of the container (repeat for several containers of a deployment).',
    },
    { name: 'replicas', short: 'r', type: 'int', valueName: 'int', description: 'create deployment: number of replicas (default 1).' },
    { name: 'port', type: 'int', valueName: 'int', description: 'create deployment: the port the container exposes.' },
    { name: 'from', type: 'string', valueName: 'string', description: 'create job: the CronJob to take the job template from, as cronjob/NAME.' },
    { name: 'save-config', type: 'bool', description: 'Record the manifest as kip apply does, so that later applies can remove fields.' },
    DRY_RUN_FLAG,
    VALIDATE_FLAG,
  ],
  run,
};
