// `npm run fuzz` end to end, as CI runs it: the real process, a short fuzz of all three targets
// against a private cluster of its own. Bad input must crash nothing and leave nothing hanging, and
// nothing the fuzz started may be left once it has exited.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cluster.js';
import { processesUnder } from '../helpers/processes.js';
import { eventually, isAlive } from '../helpers/wait.js';

const MAIN = path.join(ROOT, 'scripts/dist/fuzz/main.js');

describe('npm run fuzz', function () {
  this.timeout(120_000);
  let scratch = '';

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'kip-fuzz-it-'));
  });

  after(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('fuzzes the API, the agent WebSocket and the tunnels: no crash, no hang, nothing left', async () => {
    // The private cluster's data dir goes under this TMPDIR, so that its processes can be found.
    // A fixed seed and number of cases: every run sends the same inputs, so a failure here means
    // kip changed, not the dice; the duration bounds the run on a slow machine.
    const child = spawn(process.execPath, [MAIN, '--duration', '12s', '--max-cases', '100', '--seed', '20261202', '--nodes', '2'], {
      env: { ...process.env, TMPDIR: scratch },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0, out);
    assert.match(out, /^ {2}crashes {6}0$/m, out);
    assert.match(out, /^ {2}hangs {8}0$/m, out);
    assert.match(out, /^ {2}violations {3}0$/m, out);
    for (const target of ['http', 'agent', 'tunnel']) {
      const tried = Number(new RegExp(`^ {2}${target} +(\\d+) cases`, 'm').exec(out)?.[1] ?? 0);
      assert.ok(tried >= 20, `${target}: only ${tried} cases\n${out}`);
    }
    assert.match(out, /max RSS {6}control plane \d+\.\d MiB, agent \d+\.\d MiB/);
    assert.equal(isAlive(child.pid!), false);
    await eventually('no process of the private cluster', () => processesUnder(scratch).length === 0, { timeoutMs: 5000 });
    assert.deepEqual(
      (await readdir(scratch)).filter((n) => n.startsWith('kip-fuzz-')),
      [],
      'the data dir is removed',
    );
  });
});
