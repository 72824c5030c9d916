// Command-line flags with kubectl's (pflag's) grammar and words: `--name=value`, `--name value`,
// `-n value`, `-nvalue`, `-n=value`, stacked short booleans (`-Aw`, `-Aowide`), `--bool=false`,
// repeated or comma-separated lists (`-f a.yaml,b.yaml -f c.yaml`), `--` to end flags, flags
// anywhere among the arguments. shared's scanArgs reads the words; this file types and checks them.

import { parseDuration, scanArgs, type FlagShape } from '@kip/shared';
import { UsageError } from './errors.js';

export type FlagType = 'bool' | 'string' | 'int' | 'strings' | 'duration';
export type FlagValue = boolean | string | number | string[];

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  description: string;
  /** Shown in help for flags that take a value: `--output string`. */
  valueName?: string;
  /** For 'duration', in milliseconds. */
  default?: FlagValue;
}

export class ParsedFlags {
  constructor(
    private readonly values: Map<string, FlagValue>,
    /** Flags the user gave, as opposed to defaults. */
    readonly given: ReadonlySet<string>,
    readonly positionals: string[],
  ) {}
  has(name: string): boolean {
    return this.given.has(name);
  }
  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  str(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  int(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  /** Milliseconds, for 'duration' flags. */
  duration(name: string): number | undefined {
    return this.int(name);
  }
  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }
}

function defaultOf(spec: FlagSpec): FlagValue | undefined {
  if (spec.default !== undefined) return Array.isArray(spec.default) ? [...spec.default] : spec.default;
  switch (spec.type) {
    case 'bool':
      return false;
    case 'strings':
      return [];
    default:
      return undefined;
  }
}

function convert(spec: FlagSpec, raw: string, shown: string): FlagValue {
  switch (spec.type) {
    case 'bool': {
      const v = raw.toLowerCase();
      if (['true', 't', '1'].includes(v)) return true;
      if (['false', 'f', '0'].includes(v)) return false;
      throw new UsageError(`invalid argument "${raw}" for "${shown}" flag: must be true or false`);
    }
    case 'int': {
      if (!/^[-+]?\d+$/.test(raw.trim())) throw new UsageError(`invalid argument "${raw}" for "${shown}" flag: must be an integer`);
      return Number.parseInt(raw, 10);
    }
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined) throw new UsageError(`invalid argument "${raw}" for "${shown}" flag: must be a duration such as 30s, 2m or 1h`);
      return ms;
    }
    case 'strings':
      return raw === '' ? [] : raw.split(',');
    case 'string':
      return raw;
  }
}

function shownName(spec: FlagSpec, viaShort: boolean): string {
  return viaShort && spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

/** Parses argv against the given flags. Unknown flags and missing values are UsageErrors. */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const shapes: Record<string, FlagShape> = {};
  for (const s of specs) shapes[s.name] = { value: s.type !== 'bool', ...(s.short ? { short: s.short } : {}) };
  const values = new Map<string, FlagValue>();
  for (const s of specs) {
    const d = defaultOf(s);
    if (d !== undefined) values.set(s.name, d);
  }
  const given = new Set<string>();
  const scanned = scanArgs(argv, shapes, 'gnu');
  for (const f of scanned.flags) {
    if (!f.known) throw new UsageError(f.short ? `unknown shorthand flag: '${f.name}' in ${f.word}` : `unknown flag: --${f.name}`);
    const spec = specs.find((s) => s.name === f.name)!;
    let raw = f.value;
    if (raw === undefined) {
      if (spec.type !== 'bool')
        throw new UsageError(f.short ? `flag needs an argument: '${spec.short}' in ${f.word}` : `flag needs an argument: --${spec.name}`);
      raw = 'true';
    }
    const v = convert(spec, raw, shownName(spec, f.short));
    if (spec.type === 'strings') {
      const prev = given.has(spec.name) ? (values.get(spec.name) as string[]) : [];
      values.set(spec.name, [...prev, ...(v as string[])]);
    } else {
      values.set(spec.name, v);
    }
    given.add(spec.name);
  }
  return new ParsedFlags(values, given, scanned.positionals);
}

/** Help lines for a set of flags, aligned. */
export function formatFlagHelp(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => {
    const short = s.short ? `-${s.short}, ` : '    ';
    const value = s.type === 'bool' ? '' : ` ${s.valueName ?? (s.type === 'strings' ? 'strings' : s.type)}`;
    return `  ${short}--${s.name}${value}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 3;
  return specs
    .map((s, i) => {
      const dflt =
        s.default !== undefined && s.default !== '' && !(Array.isArray(s.default) && s.default.length === 0)
          ? ` (default ${s.type === 'duration' ? `${Number(s.default) / 1000}s` : String(s.default)})`
          : '';
      return `${left[i]!.padEnd(width)}${s.description}${dflt}`;
    })
    .join('\n');
}
