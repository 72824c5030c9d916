// The table printer of `kip get`: kind columns plus the optional NAMESPACE, kind-prefixed names,
// label columns (-L) and LABELS (--show-labels), laid out by the tab writer as kubectl lays them.

import { NONE, type ColumnSet, type KObject } from '@kip/shared';
import { columnsFor } from './columns.js';
import { GET_TABLE_OPTIONS, TabWriter } from './tabwriter.js';

export interface TableOptions {
  wide: boolean;
  /** -A: a NAMESPACE column first. */
  withNamespace: boolean;
  /** Several kinds in one `get`: names print as `deployment.apps/web`. */
  kindPrefix?: string;
  showLabels: boolean;
  /** -L key: one column per label key, headed by the key in upper case. */
  labelColumns: string[];
  noHeaders: boolean;
  /** --output-watch-events: an EVENT column first. */
  watchEvents?: boolean;
  now: number;
}

/** `a=1,b=2` sorted by key, or <none>, as kubectl's labels.FormatLabels. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? NONE : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

export function tableHeader(kind: string, opts: TableOptions): string[] {
  const cols = columnsFor(kind);
  const h: string[] = [];
  if (opts.watchEvents) h.push('EVENT');
  if (opts.withNamespace) h.push('NAMESPACE');
  if (cols.nameColumn) h.push('NAME');
  h.push(...cols.headers);
  if (opts.wide) h.push(...cols.wideHeaders);
  for (const l of opts.labelColumns) h.push(l.split('/').pop()!.toUpperCase());
  if (opts.showLabels) h.push('LABELS');
  return h;
}

export function tableRow(obj: KObject, opts: TableOptions, eventType?: string): string[] {
  const cols: ColumnSet = columnsFor(obj.kind);
  const row: string[] = [];
  if (opts.watchEvents) row.push(eventType ?? '');
  if (opts.withNamespace) row.push(obj.metadata.namespace ?? '');
  if (cols.nameColumn) row.push(opts.kindPrefix ? `${opts.kindPrefix}/${obj.metadata.name}` : obj.metadata.name);
  row.push(...cols.cells(obj, opts.now));
  if (opts.wide) row.push(...cols.wideCells(obj, opts.now));
  for (const l of opts.labelColumns) row.push(obj.metadata.labels?.[l] ?? '');
  if (opts.showLabels) row.push(formatLabels(obj.metadata.labels));
  return row;
}

/** Cells may not hold tabs or newlines, or the layout breaks; kubectl shows them escaped. */
function clean(cell: string): string {
  return cell.replace(/\t/g, ' ').replace(/\r?\n/g, '\\n');
}

function toText(rows: string[][]): string {
  return rows.map((r) => r.map(clean).join('\t') + '\n').join('');
}

/** A whole table at once. */
export function renderTable(kind: string, objects: readonly KObject[], opts: TableOptions): string {
  const rows = objects.map((o) => tableRow(o, opts));
  if (!opts.noHeaders) rows.unshift(tableHeader(kind, opts));
  const w = new TabWriter(GET_TABLE_OPTIONS);
  w.write(toText(rows));
  return w.flush();
}

/**
 * A table printed in pieces, for `get -w`: the first piece carries the header, later rows keep
 * the widths of earlier ones.
 */
export class StreamingTable {
  private readonly writer = new TabWriter({ ...GET_TABLE_OPTIONS, rememberWidths: true });
  private headerDone: boolean;
  private readonly opts: TableOptions;

  constructor(
    private readonly kind: string,
    opts: TableOptions,
  ) {
    this.opts = { ...opts };
    this.headerDone = opts.noHeaders;
  }

  /** Rows for these objects (and the header, the first time), formatted. */
  print(objects: readonly { obj: KObject; eventType?: string }[]): string {
    if (objects.length === 0) return '';
    const rows = objects.map(({ obj, eventType }) => tableRow(obj, this.opts, eventType));
    if (!this.headerDone) {
      rows.unshift(tableHeader(this.kind, this.opts));
      this.headerDone = true;
    }
    this.writer.write(toText(rows));
    return this.writer.flush();
  }

  /** Ages move on while a watch runs. */
  setNow(now: number): void {
    this.opts.now = now;
  }
}
