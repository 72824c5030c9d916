// The command table. A new command (expose, port-forward) is a file in this folder and a line here.

import type { Command } from '../command.js';
import { apiResourcesCommand } from './api-resources.js';
import { applyCommand } from './apply.js';
import { clusterInfoCommand } from './cluster-info.js';
import { cordonCommand } from './cordon.js';
import { createCommand } from './create.js';
import { deleteCommand } from './delete.js';
import { describeCommand } from './describe.js';
import { drainCommand } from './drain.js';
import { getCommand } from './get.js';
import { makeHelpCommand } from './help.js';
import { logsCommand } from './logs.js';
import { rolloutCommand } from './rollout.js';
import { scaleCommand } from './scale.js';
import { exposeCommand } from './expose.js';
import { portForwardCommand } from './port-forward.js';
import { topCommand } from './top.js';
import { uncordonCommand } from './uncordon.js';
import { versionCommand } from './version.js';

export const COMMANDS: Command[] = [
  createCommand,
  getCommand,
  deleteCommand,
  scaleCommand,
  rolloutCommand,
  exposeCommand,
  portForwardCommand,
  clusterInfoCommand,
  topCommand,
  cordonCommand,
  uncordonCommand,
  drainCommand,
  describeCommand,
  logsCommand,
  applyCommand,
  apiResourcesCommand,
  versionCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}

COMMANDS.push(makeHelpCommand(() => COMMANDS, findCommand));

/** The closest command names, for "did you mean". */
export function suggestCommands(name: string): string[] {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  return COMMANDS.filter((c) => distance(name, c.name) <= 2 || c.name.startsWith(name)).map((c) => c.name);
}
