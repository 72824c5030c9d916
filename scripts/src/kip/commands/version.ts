// `kip version`: the CLI's version and, when reachable, the server's.

import { KIP_VERSION, ApiStatusError } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { UsageError } from '../errors.js';
import { parseOutputFormat } from '../printers/output.js';
import { printJSON } from '../printers/json.js';
import { printYAML } from '../printers/yaml.js';

export interface ServerVersion {
  gitVersion?: string;
  version?: string;
  major?: string;
  minor?: string;
  [k: string]: unknown;
}

async function serverVersion(ctx: Context): Promise<ServerVersion | undefined> {
  try {
    return await ctx.api.call<ServerVersion>('GET', '/version');
  } catch (err) {
    // An older server without /version still answers the API; say nothing rather than fail.
    if (err instanceof ApiStatusError && err.httpCode === 404) return undefined;
    throw err;
  }
}

async function run(ctx: Context, args: string[]): Promise<number> {
  const format = parseOutputFormat(ctx.flags.str('output'), ['table', 'json', 'yaml']);
  const client = { gitVersion: `v${KIP_VERSION}`, platform: `${process.platform}/${process.arch}`, nodeVersion: process.version };
  const printClient = () => ctx.out(`Client Version: ${client.gitVersion}\n`);
  if (args.length > 0) throw new UsageError(`unexpected arguments: ${args.join(' ')}`);
  if (ctx.flags.bool('client')) {
    if (format === 'table') printClient();
    else ctx.out(format === 'json' ? printJSON({ clientVersion: client }) : printYAML({ clientVersion: client }));
    return 0;
  }
  if (format === 'table') printClient();
  const server = await serverVersion(ctx);
  if (format === 'table') {
    if (server) ctx.out(`Server Version: ${server.gitVersion ?? server.version ?? 'unknown'}\n`);
    return 0;
  }
  const value = server ? { clientVersion: client, serverVersion: server } : { clientVersion: client };
  ctx.out(format === 'json' ? printJSON(value) : printYAML(value));
  return 0;
}

export const versionCommand: Command = {
  name: 'version',
  group: 'other',
  summary: 'Print the client and server version information',
  usage: ['version [--client] [-o json|yaml] [flags]'],
  examples: ['  # The versions of the CLI and of the server it talks to', '  kip version', '', '  # Only the CLI', '  kip version --client'].join('\n'),
  flags: [
    { name: 'client', type: 'bool', description: 'Print the client version only; no server is needed.' },
    { name: 'output', short: 'o', type: 'string', valueName: 'format', description: 'Output format: json or yaml.' },
  ],
  run,
};
