#!/usr/bin/env node
// `npm run chaos -- ACTION ...`: faults for quick work. Each command creates the same NodeChaos
// or NetworkChaos object a YAML manifest would (print it with --dry-run -o yaml), says what it did
// and how to undo it; `heal` deletes fault objects, which heals what they hold; `list` shows them.
// Exit codes: 0 done, 1 the server refused or could not be reached, 2 a bad command line or a
// node that does not exist.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_NAMESPACE,
  newSeed,
  resourceByKind,
  validateObject,
  ApiClient,
  resolveCredentials,
  ApiStatusError,
  ConnectionError,
  ClientError,
  type ChaosStatus,
  type KObject,
  type Node,
} from '@kip/shared';
import { reportError, UsageError } from '../kip/errors.js';
import { formatFlagHelp, parseFlags, type ParsedFlags } from '../kip/flags.js';
import { processIO, type CliIO } from '../kip/io.js';
import { main as kipMain } from '../kip/main.js';
import { printJSON } from '../kip/printers/json.js';
import { printYAML } from '../kip/printers/yaml.js';
import { buildChaos, isFaultCommand, type ChaosRequest } from './build.js';
import { CHAOS_FLAGS } from './flags.js';
import { healCommand } from './heal.js';
import { killControlPlane } from './kill-control-plane.js';
import { previewChoice } from './preview.js';

export const USAGE = `usage: npm run chaos -- ACTION [NODES...] [flags]

Node faults (NodeChaos):
  kill NODES                      SIGKILL the nodes' agents; their pods die with them
  pause NODES --duration D        SIGSTOP the agents and their pods for D, then SIGCONT
  restart NODES [--restart-delay D]  kill, then kip's launcher starts them again after D (3s)
  kill --random --interval 10s --count 5 --min-ready 3   a chaoskube-style schedule

Network faults (NetworkChaos), at the TCP level (bytes are held or slowed, never dropped):
  partition SET [SET2]            no traffic between SET and SET2 (default: every other node)
  isolate NODE                    cut NODE off from every other node and the control plane
  delay NODES --latency D [--jitter D] [--correlation PCT]
  bandwidth NODES --rate 1mbps    (mbps: megabits; MB/s: megabytes)
  reset NODES --probability P     reset new connections, and live ones each second, with chance P
  blackhole NODES                 data stops, nothing is closed (action timeout)
  with [--to NODES] [--control-plane] [--direction to|from|both] [--duration D]

Control plane:
  kill-control-plane [--restart-after D]   SIGKILL it; kip's launcher restarts it from its store
                                  (pods keep running; scheduling and failover wait)

Others:
  heal NAME... | --all            delete fault objects: what they hold heals
  list                            the fault objects and where they stand

NODES are names (node-1 node-2, or node-1,node-2), or pick with -l LABELS, --random, --mode.

Flags:
${formatFlagHelp(CHAOS_FLAGS)}

Examples:
  npm run chaos -- kill node-3
  npm run chaos -- pause node-2 --duration 20s
  npm run chaos -- partition node-1,node-2 node-3 --duration 30s
  npm run chaos -- delay node-1 --latency 100ms --jitter 20ms --to node-2 --duration 1m
  npm run chaos -- isolate node-4 --dry-run -o yaml
  npm run chaos -- heal --all
`;

function usageFailure(io: CliIO, err: UsageError): number {
  io.stderr.write(`error: ${err.message}\nRun 'npm run chaos -- --help' for usage.\n`);
  return 2;
}

function client(flags: ParsedFlags, io: CliIO): ApiClient {
  return new ApiClient({
    ...resolveCredentials({ server: flags.str('server'), token: flags.str('token'), kubeconfig: flags.str('kubeconfig'), env: io.env }),
    userAgent: 'kip-chaos',
  });
}

/** The command word: the first argument that is not a flag or a flag's value. */
function splitCommand(argv: readonly string[]): { command?: string; rest: string[] } {
  const valued = new Set(CHAOS_FLAGS.filter((f) => f.type !== 'bool').flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-') && a.length > 1) {
      if (valued.has(a)) i++;
      continue;
    }
    return { command: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: [...argv] };
}

async function listNodes(api: ApiClient): Promise<Node[]> {
  return (await api.list<Node>(resourceByKind('Node')!, undefined)).items ?? [];
}

/** Unknown nodes are a mistake on the command line: say which, and which exist. */
function checkNodes(req: ChaosRequest, nodes: Node[]): void {
  const names = new Set(nodes.map((n) => n.metadata.name));
  const missing = req.namedNodes.filter((n) => !names.has(n));
  if (missing.length > 0)
    throw new UsageError(
      `${missing.map((n) => `node ${n}`).join(', ')} not found (nodes: ${[...names].sort().join(', ') || 'none'}; see npm run kip -- get nodes)`,
    );
}

function undoLine(kind: string, name: string, hasSchedule: boolean): string {
  const heal = `npm run chaos -- heal ${name}`;
  if (kind === 'kill')
    return `undo: a killed node stays down until its agent is started again (npm run cluster -- --restart-nodes brings dead nodes back)${hasSchedule ? `; stop the schedule: ${heal}` : `; ${heal} removes the object`}`;
  if (kind === 'restart') return `undo: nothing to undo: the node comes back by itself${hasSchedule ? `; stop the schedule: ${heal}` : ''}`;
  if (kind === 'pause') return `undo: ${heal} (continues the paused node at once; it also continues by itself when the duration ends)`;
  return `undo: ${heal}`;
}

/** Waits a moment for the controller's first record, to say what actually happened. */
async function firstRecord(api: ApiClient, obj: KObject, io: CliIO): Promise<string | undefined> {
  const r = resourceByKind(obj.kind)!;
  const deadline = io.now() + 3000;
  while (io.now() < deadline) {
    const cur = (await api.get(r, obj.metadata.namespace, obj.metadata.name)) as KObject & { status?: ChaosStatus };
    const rec = cur.status?.records?.[0];
    if (rec) return `${rec.result.toLowerCase()}: ${rec.message ?? ''}`;
    if (cur.status?.phase === 'Pending' && cur.status.nextRunTime) return `first run at ${cur.status.nextRunTime}`;
    await sleep(100);
  }
  return undefined;
}

async function runFault(command: string, args: string[], flags: ParsedFlags, io: CliIO): Promise<number> {
  if (!isFaultCommand(command)) throw new UsageError(`unknown action "${command}"`);
  const output = flags.str('output');
  if (output !== undefined && output !== 'yaml' && output !== 'json')
    throw new UsageError(`invalid argument "${output}" for "-o, --output" flag: must be yaml or json`);
  const namespace = flags.str('namespace') || io.env.KIP_NAMESPACE || DEFAULT_NAMESPACE;
  const seed = flags.int('seed') ?? newSeed();
  if (seed < 0 || seed > 2 ** 32 - 1) throw new UsageError(`invalid argument "${seed}" for "--seed" flag: must be from 0 to 4294967295`);
  const req = buildChaos(command, args, flags, namespace, seed);
  const errors = validateObject(req.object);
  if (errors.length > 0) throw new UsageError(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  const api = client(flags, io);
  const resource = resourceByKind(req.object.kind)!;
  const dryRun = flags.bool('dry-run');
  let nodes: Node[] | undefined;
  try {
    nodes = await listNodes(api);
  } catch (err) {
    if (!dryRun || !(err instanceof ConnectionError)) throw err;
    io.stderr.write(`warning: ${err.message}; the nodes are not checked and the choice is not previewed\n`);
  }
  if (nodes) checkNodes(req, nodes);
  if (dryRun) {
    const shown = req.object.metadata.name
      ? `${resource.singular}/${req.object.metadata.name}`
      : `${resource.singular}/${req.object.metadata.generateName}<suffix>`;
    // With -o the object goes to stdout alone, so that it can be piped into `kip apply -f -`.
    const say = (line: string) => (output ? io.stderr : io.stdout).write(line + '\n');
    say(`dry run: would create ${shown}: ${req.summary} (seed ${seed}); nothing was created`);
    if (nodes) say(`first run: ${previewChoice(req.object, nodes)}`);
    if (output === 'yaml') io.stdout.write(printYAML(req.object));
    if (output === 'json') io.stdout.write(printJSON(req.object));
    return 0;
  }
  const created = await api.create<KObject>(resource, namespace, req.object);
  if (output === 'yaml') io.stdout.write(printYAML(created));
  else if (output === 'json') io.stdout.write(printJSON(created));
  else {
    io.stdout.write(`${resource.singular}/${created.metadata.name} created: ${req.summary} (seed ${seed})\n`);
    const outcome = await firstRecord(api, created, io).catch(() => undefined);
    if (outcome) io.stdout.write(`${outcome}\n`);
    io.stdout.write(`${undoLine(command, created.metadata.name, (req.object.spec as { schedule?: unknown }).schedule !== undefined)}\n`);
  }
  return 0;
}

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const { command, rest } = splitCommand(argv);
  let flags: ParsedFlags;
  try {
    flags = parseFlags(rest, CHAOS_FLAGS);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(io, err);
    throw err;
  }
  if (!command || command === 'help' || flags.bool('help')) {
    io.stdout.write(USAGE);
    return command || flags.bool('help') ? 0 : 2;
  }
  try {
    switch (command) {
      case 'heal':
        return await healCommand(client(flags, io), flags, io);
      case 'kill-control-plane':
        return await killControlPlane(flags, io);
      case 'list':
      case 'ls': {
        const pass = [
          ...(flags.str('server') ? ['--server', flags.str('server')!] : []),
          ...(flags.str('token') ? ['--token', flags.str('token')!] : []),
          ...(flags.str('kubeconfig') ? ['--kubeconfig', flags.str('kubeconfig')!] : []),
          ...(flags.str('namespace') ? ['-n', flags.str('namespace')!] : []),
        ];
        return await kipMain(['get', 'nodechaos,networkchaos', '-o', flags.str('output') ?? 'wide', ...pass], io);
      }
      default:
        return await runFault(command, flags.positionals, flags, io);
    }
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(io, err);
    if (err instanceof ApiStatusError || err instanceof ConnectionError || err instanceof ClientError) return reportError(err, io.stderr, io.env);
    throw err;
  }
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  main(process.argv.slice(2)).then(
    (code) => process.stdout.write('', () => process.exit(code)),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
