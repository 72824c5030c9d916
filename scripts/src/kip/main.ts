#!/usr/bin/env node
// The `kip` command line: kubectl's commands against a kip cluster. `main` runs one command line
// with the IO it is given and returns the exit code, so tests call it in-process; run as a
// program, it uses the process's streams and exits with that code.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Context, GLOBAL_FLAGS, GLOBAL_VALUE_FLAGS, type Command } from './command.js';
import { COMMANDS, findCommand, suggestCommands } from './commands/index.js';
import { commandHelp, rootHelp, usageLines } from './commands/help.js';
import { reportError, UsageError } from './errors.js';
import { parseFlags } from './flags.js';
import { processIO, type CliIO } from './io.js';

/** Finds the command word, skipping global flags (and their values) before it: `kip -n demo get pods`. */
export function splitCommand(argv: readonly string[]): { command?: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-') && a.length > 1) {
      if (GLOBAL_VALUE_FLAGS.has(a)) i++;
      continue;
    }
    return { command: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: [...argv] };
}

function usageFailure(io: CliIO, err: UsageError, cmd?: Command): number {
  io.stderr.write(`error: ${err.message}\n`);
  if (cmd) io.stderr.write(`${usageLines(cmd)}See 'kip ${cmd.name} --help' for usage.\n`);
  else io.stderr.write(`See 'kip --help' for usage.\n`);
  return 1;
}

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const { command, rest } = splitCommand(argv);
  if (!command) {
    try {
      parseFlags(rest, GLOBAL_FLAGS);
    } catch (err) {
      if (err instanceof UsageError) return usageFailure(io, err);
      throw err;
    }
    io.stdout.write(rootHelp(COMMANDS));
    return 0;
  }
  const cmd = findCommand(command);
  if (!cmd) {
    const suggestions = suggestCommands(command);
    io.stderr.write(`error: unknown command "${command}" for "kip"\n`);
    if (suggestions.length > 0) io.stderr.write(`\nDid you mean this?\n${suggestions.map((s) => `\t${s}\n`).join('')}`);
    io.stderr.write(`\nRun 'kip --help' for usage.\n`);
    return 1;
  }
  try {
    const flags = parseFlags(rest, [...GLOBAL_FLAGS, ...cmd.flags]);
    if (flags.bool('help')) {
      io.stdout.write(commandHelp(cmd));
      return 0;
    }
    return await cmd.run(new Context(io, flags, cmd), flags.positionals);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(io, err, cmd);
    return reportError(err, io.stderr, io.env);
  }
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/** Runs kip as a process: argv in, exit code out. Used by the bin shim and `node .../main.js`. */
export function runFromProcess(): void {
  // `kip get pods | head` closes the pipe early; that is not an error worth a stack.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  main(process.argv.slice(2), processIO()).then(
    (code) => process.stdout.write('', () => process.exit(code)),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

if (isEntryPoint()) runFromProcess();
