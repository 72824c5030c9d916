// Reading a command line into flags and positionals, for every kip program, with node's parseArgs
// underneath. Programs whose flags follow node's grammar and words (the daemons, the cluster
// launcher, soak, experiment, bench) call readCommandLine. Those with another grammar (kubectl's
// for kip and chaos, Go's flag package for the built-in images) call scanArgs, then convert the
// values and word their errors as their users expect.

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line readCommandLine refused, in parseArgs' words; `code` is its (ERR_PARSE_ARGS_UNKNOWN_OPTION, ...). */
export class CommandLineError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'CommandLineError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Reads a command line strictly: an unknown flag, a flag without its value, a value given to a
 * switch, or (unless allowed) a positional argument throws a CommandLineError.
 */
export function readCommandLine<O extends Options, P extends boolean = false>(
  argv: readonly string[],
  options: O,
  allowPositionals?: P,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: P }>> {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: (allowPositionals ?? false) as P });
  } catch (err) {
    throw new CommandLineError((err as Error).message, (err as { code?: string }).code);
  }
}

/**
 * How flags are written. 'gnu' is kubectl's (pflag's): `--name=value`, `--name value`, `-n value`,
 * `-nvalue`, `-n=value`, stacked short booleans (`-Aw`, `-Aowide`, `-A=false`), a word that starts
 * with a digit (`-1`) is a positional. 'go' is Go's flag package, which also takes GNU's long
 * spellings: one dash or two before a long name (`-listen=:5678`, `--after 2s`), no short runs.
 */
export type FlagGrammar = 'gnu' | 'go';

export interface FlagShape {
  /** Whether the flag takes a value; one that does not may still be given one inline (`--wait=false`). */
  value: boolean;
  short?: string;
}

export interface FlagWord {
  /** The flag's long name, or the name as written when no flag has it. */
  name: string;
  known: boolean;
  /** Given through its short name. */
  short: boolean;
  /** The value written with the flag or after it; undefined when there is none. */
  value: string | undefined;
  /** The command-line word the flag is in, for messages (`-Aw`). */
  word: string;
}

export interface ScannedArgs {
  /** In command-line order, repeated flags included. */
  flags: FlagWord[];
  positionals: string[];
}

/** Splits argv into flags and positionals; nothing is refused here (unknown names are marked). */
export function scanArgs(argv: readonly string[], shapes: Readonly<Record<string, FlagShape>>, grammar: FlagGrammar): ScannedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, s] of Object.entries(shapes))
    options[name] = { type: s.value ? 'string' : 'boolean', ...(grammar === 'gnu' && s.short ? { short: s.short } : {}) };
  const takesValue = new Set(Object.values(shapes).flatMap((s) => (s.value && s.short ? [s.short] : [])));
  const args = argv.map((a) => (grammar === 'go' ? goToGnu(a) : gnuForParseArgs(a, takesValue)));
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  // Names and values are read from argv as written, not from what parseArgs was given.
  const flags: FlagWord[] = [];
  const positionals: string[] = [];
  // The short flags of one word come as one token each, in order: `at` is the last one's place in the word.
  let wordIndex = -1;
  let at = 0;
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(argv[t.index]!);
    if (t.kind !== 'option') continue;
    const word = argv[t.index]!;
    const next = t.value !== undefined && !t.inlineValue ? argv[t.index + 1] : undefined;
    if (t.rawName.startsWith('--')) {
      const body = word.replace(/^--?/, '');
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      flags.push({ name, known: Object.hasOwn(shapes, name), short: false, value: eq < 0 ? next : body.slice(eq + 1), word });
      continue;
    }
    if (t.index !== wordIndex) [wordIndex, at] = [t.index, 0];
    at++;
    const rest = word.slice(at + 1);
    // `-A=false`, `-n=demo`: the rest of the word after `=` is the value (gnuForParseArgs cut it for a switch).
    const value = rest.startsWith('=') ? rest.slice(1) : t.inlineValue ? rest : next;
    const known = Object.hasOwn(shapes, t.name) && shapes[t.name]!.short === t.rawName.slice(1);
    flags.push({ name: t.name, known, short: true, value, word });
  }
  return { flags, positionals };
}

/** Go spells long flags with one dash too: `-listen=:5678` is read as `--listen=:5678`. */
function goToGnu(arg: string): string {
  return arg.startsWith('-') && !arg.startsWith('--') && arg !== '-' ? `-${arg}` : arg;
}

/**
 * What parseArgs is given for a word in pflag's grammar. A word starting with a digit (`-1`) is
 * a positional. In a run of short flags, `=` gives the value to the flag before it (`-A=false`),
 * which parseArgs would read as more flags: the run is cut before the `=` unless a flag that
 * takes a value comes first (then parseArgs gives it the rest of the word, as pflag does).
 */
function gnuForParseArgs(arg: string, takesValue: ReadonlySet<string>): string {
  if (!arg.startsWith('-') || arg.startsWith('--')) return arg;
  if (/^-\d/.test(arg)) return '_';
  const eq = arg.indexOf('=');
  if (eq <= 1) return arg;
  for (let i = 1; i < eq; i++) if (takesValue.has(arg[i]!)) return arg;
  return arg.slice(0, eq);
}
