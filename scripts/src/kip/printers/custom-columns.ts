// `-o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName`: a table of chosen fields, each
// column a header and a JSONPath, laid out like every other kip table.

import type { KObject } from '@kip/shared';
import { UsageError } from '../errors.js';
import { NONE } from './columns.js';
import { evaluatePath, formatValue, parsePath } from './jsonpath.js';
import { GET_TABLE_OPTIONS, TabWriter } from './tabwriter.js';

export interface CustomColumn {
  header: string;
  path: ReturnType<typeof parsePath>;
}

export function parseCustomColumns(spec: string): CustomColumn[] {
  if (spec.trim() === '') throw new UsageError('custom-columns format specified but no custom columns given');
  return spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon <= 0) throw new UsageError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    let expr = part.slice(colon + 1).trim();
    if (expr.startsWith('{') && expr.endsWith('}')) expr = expr.slice(1, -1);
    if (!expr.startsWith('.') && !expr.startsWith('$') && !expr.startsWith('[')) expr = `.${expr}`;
    return { header: part.slice(0, colon).trim(), path: parsePath(expr, part) };
  });
}

/** Prints rows as they come (a whole list, or watch events one by one), the header once. */
export class CustomColumnsPrinter {
  private readonly writer = new TabWriter({ ...GET_TABLE_OPTIONS, rememberWidths: true });
  private headerDone: boolean;

  constructor(
    private readonly columns: CustomColumn[],
    noHeaders: boolean,
  ) {
    this.headerDone = noHeaders;
  }

  print(objects: readonly KObject[]): string {
    if (objects.length === 0) return '';
    const rows = objects.map((o) =>
      this.columns.map((c) => {
        const values = evaluatePath(c.path, o);
        return values.length === 0
          ? NONE
          : values
              .map(formatValue)
              .join(',')
              .replace(/[\t\n]/g, ' ');
      }),
    );
    if (!this.headerDone) {
      rows.unshift(this.columns.map((c) => c.header));
      this.headerDone = true;
    }
    this.writer.write(rows.map((r) => r.join('\t') + '\n').join(''));
    return this.writer.flush();
  }
}
