// stress(1)'s command line (Amos Waterland's stress 1.0.x, which polinux/stress and progrium/stress
// ship): `stress --cpu 2 --vm 1 --vm-bytes 150M --vm-hang 1 --timeout 60s`, with the short forms
// -c -i -m -d -t -v -q -n, values attached or separate. Sizes take B, K, M, G (powers of 1024);
// times take s, m, h, d, y. Pure, so the stress1 program and its tests share it.

export interface StressOptions {
  cpu: number;
  io: number;
  vm: number;
  hdd: number;
  vmBytes: number;
  vmStride: number;
  /** Seconds a vm worker holds its memory before freeing it; 0 is for ever; undefined frees at once. */
  vmHang?: number;
  vmKeep: boolean;
  hddBytes: number;
  /** Seconds; 0 is no timeout. */
  timeout: number;
  backoff: number;
  verbose: boolean;
  quiet: boolean;
  dryRun: boolean;
  help: boolean;
  version: boolean;
}

export class StressUsageError extends Error {
  readonly code = 'StressUsageError';
}

const SHORT: Record<string, string> = { c: 'cpu', i: 'io', m: 'vm', d: 'hdd', t: 'timeout', v: 'verbose', q: 'quiet', n: 'dry-run', '?': 'help' };
const BOOLEAN = new Set(['verbose', 'quiet', 'dry-run', 'help', 'version', 'vm-keep']);
const VALUED = new Set(['cpu', 'io', 'vm', 'hdd', 'vm-bytes', 'vm-stride', 'vm-hang', 'hdd-bytes', 'timeout', 'backoff']);

/** "150M" -> bytes, as stress reads sizes (a bare number is bytes). */
export function stressBytes(raw: string, flag: string): number {
  const m = /^(\d+)([bBkKmMgG]?)$/.exec(raw.trim());
  if (!m) throw new StressUsageError(`invalid number in size: ${raw} (for --${flag})`);
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()]!;
  return Number(m[1]) * unit;
}

/** "10s", "2m", "60" -> seconds. */
export function stressSeconds(raw: string, flag: string): number {
  const m = /^(\d+)([smhdy]?)$/.exec(raw.trim());
  if (!m) throw new StressUsageError(`invalid time specifier: ${raw} (for --${flag})`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400, y: 31536000 }[m[2]!]!;
  return Number(m[1]) * unit;
}

function count(raw: string, flag: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new StressUsageError(`invalid number: ${raw} (for --${flag})`);
  return Number(raw);
}

export function parseStressArgs(argv: readonly string[]): StressOptions {
  const o: StressOptions = {
    cpu: 0,
    io: 0,
    vm: 0,
    hdd: 0,
    vmBytes: 256 * 1024 ** 2,
    vmStride: 4096,
    vmKeep: false,
    hddBytes: 1024 ** 3,
    timeout: 0,
    backoff: 3000,
    verbose: false,
    quiet: false,
    dryRun: false,
    help: false,
    version: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    let name: string;
    let value: string | undefined;
    const long = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    const short = /^-([a-zA-Z?])(.*)$/.exec(word);
    if (long) {
      name = long[1]!;
      value = long[2];
    } else if (short && SHORT[short[1]!]) {
      name = SHORT[short[1]!]!;
      value = short[2] || undefined;
    } else throw new StressUsageError(`unrecognized option '${word}'`);
    if (BOOLEAN.has(name)) {
      if (value !== undefined) throw new StressUsageError(`option '--${name}' doesn't allow an argument`);
      if (name === 'verbose') o.verbose = true;
      else if (name === 'quiet') o.quiet = true;
      else if (name === 'dry-run') o.dryRun = true;
      else if (name === 'help') o.help = true;
      else if (name === 'version') o.version = true;
      else o.vmKeep = true;
      continue;
    }
    if (!VALUED.has(name)) throw new StressUsageError(`unrecognized option '--${name}'`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new StressUsageError(`option '--${name}' requires an argument`);
    }
    switch (name) {
      case 'cpu':
        o.cpu = count(value, name);
        break;
      case 'io':
        o.io = count(value, name);
        break;
      case 'vm':
        o.vm = count(value, name);
        break;
      case 'hdd':
        o.hdd = count(value, name);
        break;
      case 'vm-bytes':
        o.vmBytes = stressBytes(value, name);
        break;
      case 'vm-stride':
        o.vmStride = Math.max(1, stressBytes(value, name));
        break;
      case 'vm-hang':
        o.vmHang = stressSeconds(value, name);
        break;
      case 'hdd-bytes':
        o.hddBytes = stressBytes(value, name);
        break;
      case 'timeout':
        o.timeout = stressSeconds(value, name);
        break;
      case 'backoff':
        o.backoff = count(value, name);
        break;
    }
  }
  return o;
}
