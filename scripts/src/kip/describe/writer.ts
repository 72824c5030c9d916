// kubectl describe's PrefixWriter: text written at an indent level (two spaces a level), cells
// separated by tabs and aligned by the tab writer. `flush` ends the alignment runs so far, as
// kubectl does before the Events table.

import { ageSince, formatRFC1123Z, kindDefinition, writeGeneric, type DescribeOutput, type Event, type KObject } from '@kip/shared';
import { DESCRIBE_OPTIONS, TabWriter } from '../printers/tabwriter.js';

export interface DescribeEnv {
  /** Wall-clock ms, for ages. */
  now: number;
  /** Minutes east of UTC for dates; the local zone when absent. */
  offsetMinutes?: number;
}

export class DescribeWriter implements DescribeOutput {
  private readonly tw = new TabWriter(DESCRIBE_OPTIONS);
  private done = '';

  constructor(readonly env: DescribeEnv) {}

  /** Writes text at an indent level; the text carries its own tabs and newline. */
  write(level: number, text: string): void {
    this.tw.write('  '.repeat(level) + text);
  }

  /** `Key:\tvalue` on its own line. */
  field(level: number, key: string, value: string | number | boolean): void {
    this.write(level, `${key}:\t${String(value)}\n`);
  }

  flush(): void {
    this.done += this.tw.flush();
  }

  date(ts: string | undefined): string {
    return formatRFC1123Z(ts, this.env.offsetMinutes);
  }

  age(ts: string | undefined): string {
    return ageSince(ts, this.env.now);
  }

  toString(): string {
    this.flush();
    return this.done;
  }
}

/** An object laid out by its kind's describer, or, for a kind without one, generically. */
export function describeText(obj: KObject, related: { events: readonly Event[]; objects?: Record<string, readonly KObject[]> }, env: DescribeEnv): string {
  const w = new DescribeWriter(env);
  const describer = kindDefinition(obj.kind)?.describe;
  if (describer) describer.write(w, obj as never, { events: related.events, objects: related.objects ?? {} });
  else writeGeneric(w, obj, related.events);
  return w.toString();
}
