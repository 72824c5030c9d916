// `kip get -w`: list, print, then watch from the list's resourceVersion and print every change,
// until the server ends the stream or the user stops it.

import { ApiStatusError, type KObject, type List, type Status, type WatchEvent } from '@kip/shared';
import type { Context } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { printJSON } from '../printers/json.js';
import { printName } from '../printers/name.js';
import type { OutputSpec } from '../printers/output.js';
import { CustomColumnsPrinter, parseCustomColumns } from '../printers/custom-columns.js';
import { executeTemplate } from '../printers/jsonpath.js';
import { StreamingTable } from '../printers/table.js';
import { printYAML, YAML_DOCUMENT_SEPARATOR } from '../printers/yaml.js';
import { qualifiedPlural, withTypeMeta, type Target } from '../targets.js';

function notFound(target: Target, name: string): ApiStatusError {
  const kind = qualifiedPlural(target.resource);
  const status: Status = {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: `${kind} "${name}" not found`,
    reason: 'NotFound',
    code: 404,
    details: { name, kind },
  };
  return new ApiStatusError(status, 404);
}

export async function runWatch(ctx: Context, targets: Target[], output: OutputSpec, allNamespaces: boolean): Promise<number> {
  const format = output.format;
  const count = targets.reduce((n, t) => n + Math.max(1, t.names.length), 0);
  if (targets.length !== 1 || count !== 1)
    throw new UsageError(`watch is only supported on individual resources and resource collections, but ${count} resources were found`);
  const target = targets[0]!;
  const r = target.resource;
  const name = target.names[0];
  const fieldSelector = [name ? `metadata.name=${name}` : '', ctx.flags.str('field-selector') ?? ''].filter(Boolean).join(',');
  const labelSelector = ctx.flags.str('selector');
  const namespace = allNamespaces ? undefined : ctx.namespace;
  const withEvents = ctx.flags.bool('output-watch-events');

  const table =
    format === 'table' || format === 'wide'
      ? new StreamingTable(r.kind, {
          wide: format === 'wide',
          withNamespace: allNamespaces && r.namespaced,
          showLabels: ctx.flags.bool('show-labels'),
          labelColumns: ctx.flags.list('label-columns'),
          noHeaders: ctx.flags.bool('no-headers'),
          watchEvents: withEvents,
          now: ctx.now(),
        })
      : undefined;
  const columns = format === 'custom-columns' ? new CustomColumnsPrinter(parseCustomColumns(output.template!), ctx.flags.bool('no-headers')) : undefined;
  let printedYaml = false;

  const print = (events: { obj: KObject; type: WatchEvent['type'] }[]) => {
    if (events.length === 0) return;
    if (table) {
      table.setNow(ctx.now());
      ctx.out(table.print(events.map((e) => ({ obj: e.obj, eventType: e.type }))));
      return;
    }
    if (columns) {
      ctx.out(columns.print(events.map((e) => e.obj)));
      return;
    }
    for (const e of events) {
      const value = withEvents ? { type: e.type, object: e.obj } : e.obj;
      if (format === 'json') ctx.out(printJSON(value));
      else if (format === 'yaml') {
        if (printedYaml) ctx.out(YAML_DOCUMENT_SEPARATOR);
        ctx.out(printYAML(value));
        printedYaml = true;
      } else if (format === 'jsonpath') ctx.out(executeTemplate(output.template!, value));
      else ctx.out(printName(e.obj));
    }
  };

  let resourceVersion: string | undefined;
  if (!ctx.flags.bool('watch-only')) {
    let list: List<KObject>;
    try {
      list = await ctx.api.list(r, namespace, { labelSelector, ...(fieldSelector ? { fieldSelector } : {}) });
    } catch (err) {
      if (err instanceof ApiStatusError && err.httpCode === 404) throw new CliError(`the server doesn't have a resource type "${r.plural}"`);
      throw err;
    }
    if (name && (list.items ?? []).length === 0) throw notFound(target, name);
    resourceVersion = list.metadata?.resourceVersion;
    print((list.items ?? []).map((o) => ({ obj: withTypeMeta(o, r), type: 'ADDED' as const })));
  }

  await ctx.api.watch(
    r,
    namespace,
    { resourceVersion, labelSelector, ...(fieldSelector ? { fieldSelector } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) },
    (ev) => {
      print([{ obj: withTypeMeta(ev.object, r), type: ev.type }]);
    },
  );
  return 0;
}
