// stress(1) for the polinux/stress and progrium/stress images: cpu workers spin, io workers
// sync, vm workers allocate --vm-bytes, touch every page (so the resident set really grows, which
// is what the memory limit acts on), hold it --vm-hang seconds and free it, over and over; hdd
// workers write and unlink a file. Its output is stress's own ("stress: info: [1] dispatching
// hogs: ..."), and --timeout ends a successful run with exit 0.

import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseStressArgs, StressUsageError, type StressOptions } from './stress-args.js';

const USAGE = `\`stress' imposes certain types of compute stress on your system

Usage: stress [OPTION [ARG]] ...
 -?, --help         show this help statement
     --version      show version statement
 -v, --verbose      be verbose
 -q, --quiet        be quiet
 -n, --dry-run      show what would have been done
 -t, --timeout N    timeout after N seconds
     --backoff N    wait factor of N microseconds before work starts
 -c, --cpu N        spawn N workers spinning on sqrt()
 -i, --io N         spawn N workers spinning on sync()
 -m, --vm N         spawn N workers spinning on malloc()/free()
     --vm-bytes B   malloc B bytes per vm worker (default is 256MB)
     --vm-stride B  touch a byte every B bytes (default is 4096)
     --vm-hang N    sleep N secs before free (default none, 0 is inf)
     --vm-keep      redirty memory instead of freeing and reallocating
 -d, --hdd N        spawn N workers spinning on write()/unlink()
     --hdd-bytes B  write B bytes per hdd worker (default is 1GB)

Example: stress --cpu 8 --io 4 --vm 2 --vm-bytes 128M --timeout 10s

Note: Numbers may be suffixed with s,m,h,d,y (time) or B,K,M,G (size).
`;

let opts: StressOptions;
try {
  opts = parseStressArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof StressUsageError)) throw err;
  process.stderr.write(`stress: FAIL: [1] (${err.message})\n${USAGE}`);
  process.exit(1);
}
if (opts.help || process.argv.length <= 2) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (opts.version) {
  process.stdout.write('stress 1.0.4\n');
  process.exit(0);
}

const started = Date.now();
const info = (msg: string) => {
  if (!opts.quiet) process.stdout.write(`stress: info: [1] ${msg}\n`);
};
const debug = (msg: string) => {
  if (opts.verbose) process.stdout.write(`stress: dbug: [1] ${msg}\n`);
};

info(`dispatching hogs: ${opts.cpu} cpu, ${opts.io} io, ${opts.vm} vm, ${opts.hdd} hdd`);
if (opts.dryRun) process.exit(0);
// Armed before the hogs start, so that their work cannot push it back.
if (opts.timeout > 0) {
  setTimeout(() => {
    info(`successful run completed in ${Math.round((Date.now() - started) / 1000)}s`);
    process.exit(0);
  }, opts.timeout * 1000).unref();
}

const SPIN = `for (;;) Math.sqrt(Math.random());`;
const SYNC = `
const fs = require('node:fs');
const { workerData } = require('node:worker_threads');
for (;;) { const fd = fs.openSync(workerData.file, 'w'); fs.writeSync(fd, 'x'); fs.fsyncSync(fd); fs.closeSync(fd); }`;
const HDD = `
const fs = require('node:fs');
const { workerData } = require('node:worker_threads');
const chunk = Buffer.alloc(1 << 20, 90);
for (;;) {
  const fd = fs.openSync(workerData.file, 'w');
  for (let left = workerData.bytes; left > 0; left -= chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  fs.closeSync(fd);
  fs.unlinkSync(workerData.file);
}`;

for (let i = 0; i < opts.cpu; i++) {
  debug(`using backoff sleep of ${opts.backoff}us`);
  new Worker(SPIN, { eval: true });
}
const scratch = fs.mkdtempSync(path.join(process.cwd(), '.stress-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
for (let i = 0; i < opts.io; i++) new Worker(SYNC, { eval: true, workerData: { file: path.join(scratch, `io-${i}`) } });
for (let i = 0; i < opts.hdd; i++) new Worker(HDD, { eval: true, workerData: { file: path.join(scratch, `hdd-${i}`), bytes: opts.hddBytes } });

/** One vm worker: allocate, touch every stride, hold (or not), free, again. */
async function vmWorker(n: number): Promise<void> {
  for (;;) {
    debug(`allocating ${opts.vmBytes} bytes ...`);
    let buf: Buffer | undefined = Buffer.allocUnsafeSlow(opts.vmBytes);
    debug(`touching bytes in strides of ${opts.vmStride} bytes ...`);
    for (let i = 0; i < buf.length; i += opts.vmStride) buf[i] = 90;
    if (opts.vmHang === 0) {
      debug(`sleeping forever with allocated memory (worker ${n})`);
      await new Promise(() => undefined);
    }
    if (opts.vmKeep) {
      // Redirty the same memory for ever instead of freeing it.
      for (;;) {
        for (let i = 0; i < buf.length; i += opts.vmStride) buf[i] = (buf[i]! + 1) & 0xff;
        await new Promise((r) => setTimeout(r, opts.vmHang ? opts.vmHang * 1000 : 0));
      }
    }
    if (opts.vmHang !== undefined) {
      debug(`sleeping for ${opts.vmHang}s with allocated memory`);
      await new Promise((r) => setTimeout(r, opts.vmHang! * 1000));
    }
    debug('freed');
    buf = undefined;
    // The freed buffer goes back to the system at the next collection; without it a churning
    // worker would hold every allocation it ever made.
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setImmediate(r));
  }
}
for (let i = 0; i < opts.vm; i++) void vmWorker(i);

if (opts.cpu + opts.io + opts.vm + opts.hdd === 0) {
  // Nothing to do: stress exits at once, successfully.
  info(`successful run completed in ${Math.round((Date.now() - started) / 1000)}s`);
  process.exit(0);
}
// The hogs run until --timeout, a signal, or the memory limit ends them.
setInterval(() => undefined, 1 << 30);
process.on('SIGTERM', () => process.exit(143));
process.on('SIGINT', () => process.exit(130));
