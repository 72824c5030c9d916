// `kip apply -f`: make the cluster hold what the manifests say. Objects that do not exist are
// created; existing ones get the manifest merged in (apply-merge.ts) and are PUT at the
// resourceVersion read, reading again and retrying when someone else wrote in between.

import { ApiStatusError, type KObject } from '@kip/shared';
import { planApply, withLastApplied } from '../apply-merge.js';
import type { Command, Context } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { eachManifest, ManifestStepError } from './each-manifest.js';
import type { ManifestObject } from '../manifests.js';
import { objectName } from '../printers/name.js';
import { FILENAME_FLAG, RECURSIVE_FLAG } from './common-flags.js';

/** How many times an update is retried on a stale resourceVersion before giving up. */
const CONFLICT_RETRIES = 5;

export type ApplyResult = 'created' | 'configured' | 'unchanged';

/** A server refusal, with what apply was doing, for kubectl's `error when creating "web.yaml": ...`. */
/** Applies one object. Returns what happened and the object as the server now has it. */
export async function applyOne(ctx: Context, m: ManifestObject, dryRun: boolean): Promise<{ result: ApplyResult; object: KObject }> {
  const { resource: r, namespace } = m;
  const name = m.object.metadata.name;
  if (!name) throw new CliError(`${m.source}: metadata.name: Required value: apply needs a name (generateName is for create)`);
  for (let attempt = 1; ; attempt++) {
    let live: KObject | undefined;
    try {
      live = await ctx.api.get(r, namespace, name);
    } catch (err) {
      if (!(err instanceof ApiStatusError && err.isNotFound)) throw err;
    }
    const step = live ? 'updating' : 'creating';
    try {
      if (!live) {
        const body = withLastApplied(m.object);
        if (dryRun) return { result: 'created', object: body };
        return { result: 'created', object: await ctx.api.create(r, namespace, body) };
      }
      const plan = planApply(live, m.object);
      if (!plan.changed) return { result: 'unchanged', object: live };
      if (!plan.hadLastApplied && attempt === 1)
        ctx.err(
          `Warning: resource ${r.plural}/${name} is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by kip apply. ` +
            'kip apply should only be used on resources created declaratively by kip apply. The missing annotation will be patched automatically.\n',
        );
      if (dryRun) return { result: 'configured', object: plan.object };
      return { result: 'configured', object: await ctx.api.replace(r, namespace, name, plan.object) };
    } catch (err) {
      // Someone wrote between our read and our write (Conflict), or created it first (AlreadyExists): read again.
      if (!(err instanceof ApiStatusError)) throw err;
      const retry = (err.isConflict || err.isAlreadyExists) && attempt < CONFLICT_RETRIES;
      if (!retry) throw new ManifestStepError(step, err);
    }
  }
}

async function run(ctx: Context, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError(`unexpected arguments: ${args.join(' ')}; apply takes its objects from -f`);
  const dryRun = parseDryRun(ctx.flags.str('dry-run'));
  return eachManifest(ctx, 'apply', async (m) => {
    const { result, object } = await applyOne(ctx, m, dryRun);
    return { object, line: `${objectName(m.object)} ${result}${dryRun ? ' (dry run)' : ''}\n` };
  });
}

export function parseDryRun(value: string | undefined): boolean {
  const v = (value ?? 'none').trim();
  if (v === 'none' || v === 'false') return false;
  if (v === 'client' || v === 'true' || v === '') return true;
  throw new UsageError(`invalid --dry-run value "${v}": must be "none" or "client" (kip has no server-side dry run)`);
}

export const DRY_RUN_FLAG = {
  name: 'dry-run',
  type: 'string' as const,
  valueName: 'string',
  default: 'none',
  description: 'Must be "none" or "client". With "client", only print the object that would be sent, without sending it.',
};

export const VALIDATE_FLAG = {
  name: 'validate',
  type: 'bool' as const,
  default: true,
  description: 'Check manifests locally before sending them; --validate=false leaves it to the server.',
};

export const applyCommand: Command = {
  name: 'apply',
  group: 'advanced',
  summary: 'Apply a configuration to a resource by file name or stdin',
  usage: ['apply (-f FILENAME | -f DIRECTORY | -f -) [flags]'],
  description:
    'Apply a configuration to a resource by file name or stdin. The resource is created if it does not exist yet; ' +
    'otherwise the manifest is merged into it: fields the manifest sets are updated, fields the previous apply set ' +
    'and this manifest dropped are removed, and fields set by others (such as replicas after kip scale) are kept.\n' +
    'JSON and YAML are accepted, with several documents per file, and kind: List. A directory applies every *.yaml, *.yml and *.json in it.',
  examples: [
    '  # Apply the configuration in web.yaml',
    '  kip apply -f web.yaml',
    '',
    '  # Apply every manifest in a directory, in the namespace "demo"',
    '  kip apply -f examples/ -n demo',
    '',
    '  # Apply what comes on standard input',
    '  cat web.yaml | kip apply -f -',
  ].join('\n'),
  flags: [
    FILENAME_FLAG,
    RECURSIVE_FLAG,
    { name: 'output', short: 'o', type: 'string', valueName: 'format', description: 'Output format: json, yaml or name. By default, one line per object.' },
    DRY_RUN_FLAG,
    VALIDATE_FLAG,
  ],
  run,
};
