// The sandbox probe's stored answer: the first agent of a data dir probes and stores what works,
// the next ones take it while the host is the same, and anything else (a refusal, another host's
// answer, a torn file) means a probe of their own.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type HostLayout, probeFingerprint, probeSandboxShared, SANDBOX_PROBE_FILE, type SandboxSupport, takeProbeLock } from '@kip/agent';

const LAYOUT: HostLayout = {
  overlay: ['etc', 'usr'],
  bind: ['proc'],
  devNodes: ['null'],
  devDirs: ['pts'],
  links: { bin: 'usr/bin' },
  unshare: '/usr/bin/unshare',
  mount: '/usr/bin/mount',
  nsenter: '/usr/bin/nsenter',
};

/** A probe that answers `support` and counts its calls. */
function fakeProbe(support: SandboxSupport) {
  const calls: string[] = [];
  return {
    calls,
    probe: (scratch: string) => {
      calls.push(scratch);
      return Promise.resolve(support);
    },
  };
}

describe('kubelet sandbox probe shared by the agents of a data dir', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-probe-shared-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('probes once: the second agent takes the stored layout without probing', async () => {
    const f = fakeProbe({ available: true, layout: LAYOUT });
    assert.deepEqual(await probeSandboxShared(dir, path.join(dir, 'n1'), f.probe), { available: true, layout: LAYOUT });
    assert.deepEqual(await probeSandboxShared(dir, path.join(dir, 'n2'), f.probe), { available: true, layout: LAYOUT });
    assert.deepEqual(f.calls, [path.join(dir, 'n1')]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, SANDBOX_PROBE_FILE), 'utf8')).fingerprint, probeFingerprint());
  });

  it("agents starting together probe once: the others wait for the first one's answer", async () => {
    let release!: () => void;
    const calls: string[] = [];
    const slow = (scratch: string) => {
      calls.push(scratch);
      return new Promise<SandboxSupport>((resolve) => {
        release = () => resolve({ available: true, layout: LAYOUT });
      });
    };
    const answers = [1, 2, 3].map((n) => probeSandboxShared(dir, path.join(dir, `n${n}`), slow));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(calls, [path.join(dir, 'n1')], 'only the first agent probes while it holds the lock');
    release();
    for (const a of await Promise.all(answers)) assert.deepEqual(a, { available: true, layout: LAYOUT });
    assert.equal(calls.length, 1);
    assert.equal(fs.existsSync(path.join(dir, `${SANDBOX_PROBE_FILE}.lock`)), false, 'the lock is gone once the answer is stored');
  });

  it('takes over the lock of an agent that died mid-probe', async () => {
    const lock = path.join(dir, `${SANDBOX_PROBE_FILE}.lock`);
    fs.writeFileSync(lock, '2147483646'); // no such pid
    const f = fakeProbe({ available: true, layout: LAYOUT });
    assert.deepEqual(await probeSandboxShared(dir, path.join(dir, 'n1'), f.probe), { available: true, layout: LAYOUT });
    assert.equal(f.calls.length, 1);
    assert.equal(fs.existsSync(lock), false);
    fs.writeFileSync(lock, String(process.pid)); // a live holder
    assert.equal(takeProbeLock(lock), false);
  });

  it('probes for itself when the agent holding the lock ends without an answer (a refusal is not stored)', async () => {
    let refuse!: () => void;
    const first = (_: string) => new Promise<SandboxSupport>((resolve) => (refuse = () => resolve({ available: false, reason: 'probe timed out' })));
    const f = fakeProbe({ available: true, layout: LAYOUT });
    const a = probeSandboxShared(dir, path.join(dir, 'n1'), first);
    const b = probeSandboxShared(dir, path.join(dir, 'n2'), f.probe);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(f.calls.length, 0);
    refuse();
    assert.deepEqual(await a, { available: false, reason: 'probe timed out' });
    assert.deepEqual(await b, { available: true, layout: LAYOUT });
    assert.deepEqual(f.calls, [path.join(dir, 'n2')]);
  });

  it('does not store a refusal: each agent asks the kernel again', async () => {
    const f = fakeProbe({ available: false, reason: 'probe timed out' });
    await probeSandboxShared(dir, path.join(dir, 'n1'), f.probe);
    const second = await probeSandboxShared(dir, path.join(dir, 'n2'), f.probe);
    assert.deepEqual(second, { available: false, reason: 'probe timed out' });
    assert.equal(f.calls.length, 2);
    assert.equal(fs.existsSync(path.join(dir, SANDBOX_PROBE_FILE)), false);
  });

  it('probes again when the stored answer was found under another fingerprint (another boot, kernel or layout)', async () => {
    fs.writeFileSync(path.join(dir, SANDBOX_PROBE_FILE), JSON.stringify({ fingerprint: 'another host', support: { available: true, layout: LAYOUT } }));
    const fresh = { ...LAYOUT, overlay: ['usr'] };
    const f = fakeProbe({ available: true, layout: fresh });
    assert.deepEqual(await probeSandboxShared(dir, dir, f.probe), { available: true, layout: fresh });
    assert.equal(f.calls.length, 1);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, SANDBOX_PROBE_FILE), 'utf8')).fingerprint, probeFingerprint());
  });

  for (const [name, text] of [
    ['a torn file', '{"fingerprint": "x", "supp'],
    ['a stored refusal', JSON.stringify({ fingerprint: probeFingerprint(), support: { available: false, reason: 'no' } })],
    ['a file without a layout', JSON.stringify({ fingerprint: probeFingerprint(), support: { available: true } })],
  ] as const) {
    it(`probes when the file holds ${name}`, async () => {
      fs.writeFileSync(path.join(dir, SANDBOX_PROBE_FILE), text);
      const f = fakeProbe({ available: true, layout: LAYOUT });
      assert.deepEqual(await probeSandboxShared(dir, dir, f.probe), { available: true, layout: LAYOUT });
      assert.equal(f.calls.length, 1);
    });
  }

  it('answers from the real probe on this machine the same as a fresh probe does', async () => {
    const first = await probeSandboxShared(dir, dir);
    const second = await probeSandboxShared(dir, dir);
    assert.deepEqual(second, first);
  });
});
