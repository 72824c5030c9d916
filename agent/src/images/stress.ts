// The stress image: burns CPUs and/or allocates and holds memory, so that `kip top`, resource
// limits and OOM kills can be seen (`--cpu 1 --memory 200Mi --timeout 60s`). Memory is written
// page by page, because untouched allocations do not grow the resident set that limits act on.

import { Worker } from 'node:worker_threads';
import { flagsOrExit, formatMs } from './flags.js';
import { formatBytes } from '@kip/shared/lite';

const flags = flagsOrExit('stress', process.argv.slice(2), {
  cpu: { kind: 'number', aliases: ['c', 'cpus'] },
  memory: { kind: 'bytes', aliases: ['m', 'vm-bytes'] },
  'memory-step': { kind: 'bytes' },
  'step-interval': { kind: 'duration' },
  timeout: { kind: 'duration', aliases: ['t'] },
});

const cpus = typeof flags.values.cpu === 'number' ? flags.values.cpu : 0;
const memory = typeof flags.values.memory === 'number' ? flags.values.memory : 0;
const step = typeof flags.values['memory-step'] === 'number' && flags.values['memory-step'] > 0 ? flags.values['memory-step'] : 16 * 2 ** 20;
const stepIntervalMs = typeof flags.values['step-interval'] === 'number' ? flags.values['step-interval'] : 0;
const timeoutMs = typeof flags.values.timeout === 'number' ? flags.values.timeout : 0;

const PAGE = 4096;
const held: Buffer[] = [];
let allocated = 0;

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} stress: ${line}\n`);
}

// A fractional --cpu burns the last core part of the time, so "--cpu 0.5" costs about 500m.
const BURN = `
const { workerData } = require('node:worker_threads');
const duty = workerData.duty;
for (;;) {
  const start = Date.now();
  while (Date.now() - start < 100 * duty) {}
  if (duty < 1) { const until = Date.now() + 100 * (1 - duty); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, until - Date.now()); }
}`;

function burn(): void {
  let left = cpus;
  while (left > 0) {
    const duty = Math.min(1, left);
    new Worker(BURN, { eval: true, workerData: { duty } }).unref();
    left -= duty;
  }
  if (cpus > 0) log(`burning ${cpus} cpu`);
}

function allocate(): void {
  if (allocated >= memory) {
    if (memory > 0) log(`holding ${formatBytes(allocated)} of memory`);
    return;
  }
  const size = Math.min(step, memory - allocated);
  const buf = Buffer.allocUnsafeSlow(size);
  for (let i = 0; i < size; i += PAGE) buf[i] = 1;
  held.push(buf);
  allocated += size;
  if (stepIntervalMs > 0) {
    log(`allocated ${formatBytes(allocated)}`);
    setTimeout(allocate, stepIntervalMs);
  } else setImmediate(allocate);
}

log(
  `started in ${process.env.POD_NAMESPACE ?? 'default'}/${process.env.POD_NAME ?? 'unknown'}: cpu=${cpus} memory=${formatBytes(memory)}${timeoutMs ? ` timeout=${formatMs(timeoutMs)}` : ''}`,
);
burn();
allocate();
// Keeps the process alive with nothing else to do, and lets --timeout end it.
const keepAlive = setInterval(() => {}, 1 << 30);
if (timeoutMs > 0) {
  setTimeout(() => {
    log('timeout reached, exiting');
    process.exit(0);
  }, timeoutMs);
}
process.on('SIGTERM', () => {
  clearInterval(keepAlive);
  log('SIGTERM received, exiting');
  process.exit(0);
});
