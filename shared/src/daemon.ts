// What every kip daemon (control plane, agent) does the same way at the edges of its life: read
// its flags strictly, answering --help and refusing bad flags with its usage (exit 2), and stop
// on SIGTERM, SIGINT, or when the process that started it dies (--exit-with-parent).

import { readCommandLine } from './flags.js';

type FlagOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;
export type FlagValues = Record<string, string | boolean | undefined>;

/** Prints "program: message" and the usage, and exits 2: the way a daemon refuses a bad command line. */
export function failWithUsage(program: string, usage: string, msg: string): never {
  process.stderr.write(`${program}: ${msg}\n${usage}\n`);
  process.exit(2);
}

/**
 * Parses argv strictly with the daemon's own flags plus --verbose, --exit-with-parent and --help.
 * Prints the usage and exits 0 for --help; refuses anything unknown.
 */
export function parseDaemonFlags(program: string, usage: string, options: FlagOptions, argv = process.argv.slice(2)): FlagValues {
  let values: FlagValues;
  try {
    ({ values } = readCommandLine(argv, {
      ...options,
      verbose: { type: 'boolean', short: 'v' },
      'exit-with-parent': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    }));
  } catch (err) {
    failWithUsage(program, usage, (err as Error).message);
  }
  if (values.help) {
    process.stdout.write(usage + '\n');
    process.exit(0);
  }
  return values;
}

/**
 * Calls stop(reason) on SIGTERM, SIGINT and, with --exit-with-parent, when standard input closes:
 * the launcher holds that pipe, so when it dies, however it dies, the daemon follows.
 */
export function stopOnSignals(values: FlagValues, stop: (reason: string) => void): void {
  if (values['exit-with-parent']) {
    process.stdin.on('close', () => stop('parent exited'));
    process.stdin.resume();
  }
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
