// Go's text/tabwriter, which is what gives kubectl output its look: cells end with a tab, and a
// column is as wide as its widest cell in a run of consecutive lines that have that column. A line
// without tabs ends every run, which is how `kubectl describe` aligns each section on its own.
// `rememberWidths` is kubectl's own addition for `get -w`: rows printed later keep the columns at
// least as wide as the rows printed before.

export interface TabWriterOptions {
  /** The smallest width of a column, padding included (kubectl get: 6; describe: 0). */
  minWidth: number;
  /** Spaces added to the widest cell (kubectl get: 3; describe: 2). */
  padding: number;
  rememberWidths?: boolean;
}

export const GET_TABLE_OPTIONS: TabWriterOptions = { minWidth: 6, padding: 3 };
export const DESCRIBE_OPTIONS: TabWriterOptions = { minWidth: 0, padding: 2 };

/** The width of text as a terminal shows it: one column per code point. */
export function textWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export class TabWriter {
  private buffer = '';
  private readonly remembered: number[] = [];

  constructor(private readonly opts: TabWriterOptions) {}

  write(text: string): void {
    this.buffer += text;
  }

  /** Formats everything written since the last flush and returns it. */
  flush(): string {
    const text = this.buffer;
    this.buffer = '';
    if (text === '') return '';
    const endsWithNewline = text.endsWith('\n');
    const rawLines = (endsWithNewline ? text.slice(0, -1) : text).split('\n');
    const out = this.formatRows(rawLines.map((l) => l.split('\t'))).join('\n');
    return endsWithNewline ? out + '\n' : out;
  }

  /** Formats rows already split into cells, one line each (a cell may hold a tab or a newline). */
  formatRows(lines: string[][]): string[] {
    const out: string[] = [];
    const widths: number[] = [];
    const { minWidth, padding } = this.opts;

    const writeLines = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const cells = lines[i]!;
        let s = '';
        cells.forEach((cell, j) => {
          if (j < widths.length) s += cell + ' '.repeat(Math.max(0, widths[j]! - textWidth(cell)));
          else s += cell;
        });
        out.push(s);
      }
    };

    const formatBlock = (line0: number, line1: number): void => {
      const column = widths.length;
      let start = line0;
      for (let t = line0; t < line1; t++) {
        if (column >= lines[t]!.length - 1) continue;
        // A cell in this column begins a run: print what came before, then size the run.
        writeLines(start, t);
        start = t;
        let width = minWidth;
        for (; t < line1; t++) {
          const cells = lines[t]!;
          if (column >= cells.length - 1) break;
          width = Math.max(width, textWidth(cells[column]!) + padding);
        }
        if (this.opts.rememberWidths) {
          width = Math.max(width, this.remembered[column] ?? 0);
          this.remembered[column] = width;
        }
        widths.push(width);
        formatBlock(start, t);
        widths.pop();
        start = t;
      }
      writeLines(start, line1);
    };

    formatBlock(0, lines.length);
    return out;
  }
}

/** Formats tab-separated text in one go. */
export function tabify(text: string, opts: TabWriterOptions = GET_TABLE_OPTIONS): string {
  const w = new TabWriter(opts);
  w.write(text);
  return w.flush();
}
