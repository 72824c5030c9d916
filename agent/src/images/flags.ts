// Command-line flags for the built-in images, parsed the way Go's `flag` package and GNU tools
// both accept them (`-listen=:5678`, `--port 8080`, `--after=2s`), because manifests copied from
// real images (hashicorp/http-echo uses Go flags) must keep working unchanged. shared's scanArgs
// reads the words; this file types and checks them, in Go's words.

import { parseDuration, parseQuantity, scanArgs, type FlagShape } from '@kip/shared/lite';

export type FlagKind = 'string' | 'int' | 'number' | 'duration' | 'bytes' | 'bool';

export interface FlagSpec {
  kind: FlagKind;
  /** Other spellings accepted for the same flag (e.g. "c" for "cpu"). */
  aliases?: string[];
}

export type FlagValue = string | number | boolean;

export interface ParsedFlags {
  values: Record<string, FlagValue>;
  positional: string[];
}

export class FlagError extends Error {
  readonly code = 'FlagError';
}

function convert(name: string, kind: FlagKind, raw: string): FlagValue {
  switch (kind) {
    case 'string':
      return raw;
    case 'bool':
      if (raw === '' || raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new FlagError(`invalid boolean value "${raw}" for flag -${name}`);
    case 'int': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(n)) throw new FlagError(`invalid value "${raw}" for flag -${name}: must be an integer`);
      return n;
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new FlagError(`invalid value "${raw}" for flag -${name}: must be a non-negative number`);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined) throw new FlagError(`invalid value "${raw}" for flag -${name}: must be a duration such as 500ms, 2s or 1m30s`);
      return ms;
    }
    case 'bytes': {
      const b = parseQuantity(raw);
      if (b === undefined || b < 0) throw new FlagError(`invalid value "${raw}" for flag -${name}: must be a quantity such as 200Mi or 1G`);
      return Math.ceil(b);
    }
  }
}

/** Parses argv against the specs; a flag not in the specs, or a bad value, throws a FlagError naming it. */
export function parseFlags(argv: readonly string[], specs: Record<string, FlagSpec>): ParsedFlags {
  const byName = new Map<string, [string, FlagSpec]>();
  const shapes: Record<string, FlagShape> = {};
  for (const [name, spec] of Object.entries(specs)) {
    for (const n of [name, ...(spec.aliases ?? [])]) {
      byName.set(n, [name, spec]);
      shapes[n] = { value: spec.kind !== 'bool' };
    }
  }
  const values: Record<string, FlagValue> = {};
  const scanned = scanArgs(argv, shapes, 'go');
  for (const f of scanned.flags) {
    const entry = byName.get(f.name);
    if (!entry) throw new FlagError(`flag provided but not defined: -${f.name}`);
    const [name, spec] = entry;
    if (f.value === undefined && spec.kind !== 'bool') throw new FlagError(`flag needs an argument: -${f.name}`);
    values[name] = convert(name, spec.kind, f.value ?? '');
  }
  return { values, positional: scanned.positionals };
}

/** Runs an image's main, turning a flag mistake into a one-line message and exit code 2, as Go's flag package does. */
export function flagsOrExit(program: string, argv: readonly string[], specs: Record<string, FlagSpec>): ParsedFlags {
  try {
    return parseFlags(argv, specs);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`${program}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** "2s", "1500ms", "2m" for log lines. */
export function formatMs(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
