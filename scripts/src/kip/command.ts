// What a command is, and the context it runs in. Commands are entries in one table
// (commands/index.ts), so a new one (expose, port-forward) is a new file and one line there.

import { DEFAULT_NAMESPACE, DEFAULT_SERVER, ApiClient, resolveCredentials } from '@kip/shared';
import type { FlagSpec, ParsedFlags } from './flags.js';
import type { CliIO } from './io.js';

export type CommandGroup = 'basic' | 'deploy' | 'cluster' | 'debug' | 'advanced' | 'other';

export interface Command {
  name: string;
  aliases?: string[];
  group: CommandGroup;
  /** One line, for the list of commands. */
  summary: string;
  /** Usage lines without the leading "kip ", e.g. "get TYPE[.GROUP] [NAME...] [flags]". */
  usage: string[];
  /** Paragraphs shown in --help above the examples. */
  description?: string;
  examples: string;
  flags: FlagSpec[];
  run(ctx: Context, args: string[]): Promise<number>;
}

/** Flags every command takes. */
export const GLOBAL_FLAGS: FlagSpec[] = [
  {
    name: 'server',
    short: 's',
    type: 'string',
    valueName: 'url',
    description: 'The address of the kip API server (else $KIP_SERVER, else ' + DEFAULT_SERVER + ').',
  },
  { name: 'token', type: 'string', valueName: 'string', description: 'Bearer token for the API server (else $KIP_TOKEN, else the kubeconfig).' },
  { name: 'kubeconfig', type: 'string', valueName: 'file', description: 'The kubeconfig to use (else $KUBECONFIG, else .kip/kubeconfig when it exists).' },
  { name: 'namespace', short: 'n', type: 'string', valueName: 'string', description: 'The namespace for this request (else $KIP_NAMESPACE, else default).' },
  { name: 'help', short: 'h', type: 'bool', description: 'Show help for the command.' },
];

/** Global flags that take a value: `kip -n web get pods` must skip the value to find the command. */
export const GLOBAL_VALUE_FLAGS = new Set(['-s', '--server', '--token', '--kubeconfig', '-n', '--namespace']);

export class Context {
  private client?: ApiClient;

  constructor(
    readonly io: CliIO,
    readonly flags: ParsedFlags,
    readonly command: Command,
  ) {}

  /** The API client, made on first use so that `version --client` and help need no server. */
  get api(): ApiClient {
    this.client ??= new ApiClient(
      resolveCredentials({
        server: this.flags.str('server'),
        token: this.flags.str('token'),
        kubeconfig: this.flags.str('kubeconfig'),
        env: this.io.env,
        cwd: this.io.cwd,
      }),
    );
    return this.client;
  }

  get namespace(): string {
    return this.flags.str('namespace') || this.io.env.KIP_NAMESPACE || DEFAULT_NAMESPACE;
  }

  /** True when the user chose the namespace with -n (apply then refuses objects in another). */
  get namespaceGiven(): boolean {
    return this.flags.has('namespace');
  }

  now(): number {
    return this.io.now();
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  get signal(): AbortSignal | undefined {
    return this.io.signal;
  }
}
