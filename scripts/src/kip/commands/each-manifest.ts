// What apply and create share: load the manifests named by -f, act on each document in turn, and
// as kubectl does, report a document that fails in kubectl's words and go on with the rest; print
// the objects at the end when -o json|yaml|name asks for them.

import { ApiStatusError, ClientError, type KObject } from '@kip/shared';
import type { Context } from '../command.js';
import { CliError, reportError, UsageError } from '../errors.js';
import { loadManifests, prepareManifest, type ManifestObject } from '../manifests.js';
import { parseOutputFormat, printStructured } from '../printers/output.js';

/** A server error met at one step of acting on a document ("creating", "updating"). */
export class ManifestStepError extends Error {
  constructor(
    readonly step: string,
    readonly error: ApiStatusError,
  ) {
    super(error.message);
  }
}

/**
 * Runs `act` on every document of the -f files. `act` returns the object to print and the line a
 * table format prints for it. Returns the exit code: 1 if any document failed.
 */
export async function eachManifest(
  ctx: Context,
  verb: 'apply' | 'create',
  act: (m: ManifestObject) => Promise<{ object: KObject; line: string }>,
): Promise<number> {
  const files = ctx.flags.list('filename');
  if (files.length === 0) throw new UsageError(verb === 'create' ? 'must specify one of -f, or a subcommand such as "deployment"' : 'must specify one of -f');
  const format = parseOutputFormat(ctx.flags.str('output'), ['table', 'json', 'yaml', 'name']);
  const docs = await loadManifests(files, ctx.io, ctx.flags.bool('recursive'));
  if (docs.length === 0) throw new CliError(`no objects passed to ${verb}`);
  let failed = false;
  const done: KObject[] = [];
  for (const doc of docs) {
    let m: ManifestObject | undefined;
    try {
      m = prepareManifest(doc, { namespace: ctx.namespace, namespaceGiven: ctx.namespaceGiven, validate: ctx.flags.bool('validate') });
      const { object, line } = await act(m);
      done.push(object);
      if (format === 'table') ctx.out(line);
    } catch (err) {
      failed = true;
      if (err instanceof ManifestStepError) reportError(err.error, ctx.io.stderr, ctx.io.env, `error when ${err.step} "${m?.source ?? doc.source}"`);
      else if (err instanceof ApiStatusError && m)
        reportError(err, ctx.io.stderr, ctx.io.env, `error when ${verb === 'create' ? 'creating' : 'applying'} "${m.source}"`);
      else if (err instanceof ApiStatusError || err instanceof ClientError) reportError(err, ctx.io.stderr, ctx.io.env);
      else throw err;
    }
  }
  if (format !== 'table' && done.length > 0) ctx.out(printStructured(format, done, done.length === 1));
  return failed ? 1 : 0;
}
