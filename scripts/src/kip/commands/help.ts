// Help text: the command list (`kip`, `kip --help`, `kip help`) and each command's usage,
// examples and flags (`kip get --help`, `kip help get`).

import { GLOBAL_FLAGS, type Command, type CommandGroup } from '../command.js';
import { UsageError } from '../errors.js';
import { formatFlagHelp } from '../flags.js';

const GROUP_TITLES: [CommandGroup, string][] = [
  ['basic', 'Basic Commands'],
  ['deploy', 'Deploy Commands'],
  ['cluster', 'Cluster Management Commands'],
  ['debug', 'Troubleshooting and Debugging Commands'],
  ['advanced', 'Advanced Commands'],
  ['other', 'Other Commands'],
];

export function rootHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 4;
  const sections = GROUP_TITLES.map(([group, title]) => {
    const cmds = commands.filter((c) => c.group === group);
    if (cmds.length === 0) return '';
    return `${title}:\n${cmds.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}\n`;
  }).filter(Boolean);
  return [
    'kip controls a kip cluster: a Kubernetes-style cluster made of plain processes on one machine.\n',
    'Start one with: npm run cluster -- --nodes 3\n',
    ...sections,
    'Usage:\n  kip [flags] <command> [options]\n',
    `Global flags:\n${formatFlagHelp(GLOBAL_FLAGS)}\n`,
    'Use "kip <command> --help" for more information about a given command.\n',
  ].join('\n');
}

export function usageLines(cmd: Command): string {
  return `Usage:\n${cmd.usage.map((u) => `  kip ${u}`).join('\n')}\n`;
}

export function commandHelp(cmd: Command): string {
  const parts = [`${cmd.description ?? cmd.summary}\n`];
  if (cmd.aliases?.length) parts.push(`Aliases:\n  ${[cmd.name, ...cmd.aliases].join(', ')}\n`);
  if (cmd.examples) parts.push(`Examples:\n${cmd.examples}\n`);
  if (cmd.flags.length > 0) parts.push(`Options:\n${formatFlagHelp(cmd.flags)}\n`);
  parts.push(`Global flags:\n${formatFlagHelp(GLOBAL_FLAGS)}\n`);
  parts.push(usageLines(cmd));
  return parts.join('\n');
}

/** `kip help [COMMAND]`; takes the table from its caller, which also lists this command. */
export function makeHelpCommand(table: () => readonly Command[], find: (name: string) => Command | undefined): Command {
  return {
    name: 'help',
    group: 'other',
    summary: 'Help about any command',
    usage: ['help [COMMAND]'],
    examples: ['  # Everything kip can do', '  kip help', '', '  # How to use get', '  kip help get'].join('\n'),
    flags: [],
    run: async (ctx, args) => {
      if (args.length === 0) {
        ctx.out(rootHelp(table()));
        return 0;
      }
      const cmd = find(args[0]!);
      if (!cmd) throw new UsageError(`unknown command "${args[0]}" for "kip help"`);
      ctx.out(commandHelp(cmd));
      return 0;
    },
  };
}
