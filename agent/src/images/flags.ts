// Command-line flags for the built-in images, parsed the way Go's `flag` package and GNU tools
// both accept them (`-listen=:5678`, `--port 8080`, `--after=2s`), because manifests copied from
// real images (hashicorp/http-echo uses Go flags) must keep working unchanged.

import { parseDuration, parseQuantity } from '@kip/shared/api/quantity';

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
  for (const [name, spec] of Object.entries(specs)) {
    byName.set(name, [name, spec]);
    for (const a of spec.aliases ?? []) byName.set(a, [name, spec]);
  }
  const values: Record<string, FlagValue> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const entry = byName.get(key);
    if (!entry) throw new FlagError(`flag provided but not defined: -${key}`);
    const [name, spec] = entry;
    let raw: string;
    if (eq >= 0) raw = body.slice(eq + 1);
    else if (spec.kind === 'bool') raw = '';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`flag needs an argument: -${key}`);
      raw = next;
      i++;
    }
    values[name] = convert(name, spec.kind, raw);
  }
  return { values, positional };
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
