// A container's sandbox: the fstab and argv it is built from (pure), then real runs on this
// machine: a program in its own namespaces writes into overlays that are the pod's, sees its own
// /tmp and hostname, its volumes at their mountPath (read-only ones refusing writes), and a command
// entered into its namespaces sees what it wrote; killing the group leaves nothing.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  GroupRegistry,
  type HostLayout,
  type Mount,
  ProcessGroup,
  type SandboxSpec,
  fstabEscape,
  hostPathOf,
  groupGone,
  insideRoot,
  podHostname,
  prepareSandbox,
  probeSandbox,
  sandboxArgv,
  sandboxDescription,
  sandboxExecArgv,
  sandboxFstab,
} from '@kip/agent';
import { waitFor } from './harness.js';

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

describe('kubelet sandbox: setup generation', () => {
  const spec: SandboxSpec = {
    podDir: '/data/pods/default_web_u1',
    container: 'app',
    hostname: 'web',
    cwd: '/data/pods/default_web_u1',
    mounts: [
      { name: 'data', hostDir: '/data/vol/data', mountPath: '/var/lib/my data', readOnly: false },
      { name: 'conf', hostDir: '/data/vol/conf', mountPath: '/etc/app/../conf', readOnly: true, subPath: 'sub/../../x' },
    ],
    layout: LAYOUT,
  };

  it('writes one fstab line per mount: overlays, kernel binds, /tmp, the pod directory, then the volumes', () => {
    const lines = sandboxFstab(spec).trim().split('\n');
    const root = '/data/pods/default_web_u1/sandbox/rootfs';
    assert.deepEqual(lines, [
      `overlay ${root}/etc overlay lowerdir=/etc,upperdir=/data/pods/default_web_u1/sandbox/upper/etc,workdir=/data/pods/default_web_u1/sandbox/work/app/etc 0 0`,
      `overlay ${root}/usr overlay lowerdir=/usr,upperdir=/data/pods/default_web_u1/sandbox/upper/usr,workdir=/data/pods/default_web_u1/sandbox/work/app/usr 0 0`,
      `/proc ${root}/proc none rbind 0 0`,
      // The container's own /dev, with the host's device nodes in it.
      `/data/pods/default_web_u1/sandbox/dev/app ${root}/dev none bind 0 0`,
      `/dev/null ${root}/dev/null none bind 0 0`,
      `/dev/pts ${root}/dev/pts none rbind 0 0`,
      `/data/pods/default_web_u1/tmp ${root}/tmp none bind,X-mount.mkdir 0 0`,
      `/data/pods/default_web_u1 ${root}/data/pods/default_web_u1 none bind,X-mount.mkdir 0 0`,
      `/data/vol/data ${root}/var/lib/my\\040data none bind,X-mount.mkdir 0 0`,
      // `..` in a mountPath or subPath cannot climb out of the tree or the volume.
      `/data/vol/conf/x ${root}/etc/conf none bind,X-mount.mkdir,ro 0 0`,
    ]);
  });

  it('finds on the host what the container wrote at a path inside', () => {
    const d = '/data/pods/default_web_u1';
    assert.equal(hostPathOf(spec, '/dev/termination-log'), `${d}/sandbox/dev/app/termination-log`);
    assert.equal(hostPathOf(spec, '/tmp/why'), `${d}/tmp/why`);
    assert.equal(hostPathOf(spec, '/usr/share/x'), `${d}/sandbox/upper/usr/share/x`);
    assert.equal(hostPathOf(spec, '/var/lib/my data/m'), '/data/vol/data/m');
    assert.equal(hostPathOf(spec, `${d}/log`), `${d}/log`);
    assert.equal(hostPathOf(spec, '/proc/1/status'), undefined);
  });

  it('escapes whitespace and backslashes as fstab reads them', () => {
    assert.equal(fstabEscape('a b\tc\\d'), 'a\\040b\\011c\\134d');
    assert.equal(insideRoot('/r', '../../etc'), '/r/etc');
  });

  it('refuses a pod directory overlayfs cannot name', () => {
    assert.throws(() => sandboxFstab({ ...spec, podDir: '/data/a,b' }), /comma, colon or space/);
  });

  it('wraps the argv in unshare and the setup script, keeping the program and its arguments as they are', () => {
    const argv = sandboxArgv(spec, ['/usr/bin/printf', '%s\n', 'a b']);
    assert.deepEqual(argv.slice(0, 5), ['/usr/bin/unshare', '--user', '--map-root-user', '--mount', '--uts']);
    assert.deepEqual(argv.slice(-3), ['/usr/bin/printf', '%s\n', 'a b']);
    assert.ok(argv.includes('/data/pods/default_web_u1/sandbox/app.fstab'));
    assert.deepEqual(sandboxExecArgv('/usr/bin/nsenter', 42, '/w', ['cat', '/tmp/x']).slice(-3), ['--', 'cat', '/tmp/x']);
  });

  it('names the host after spec.hostname, else the pod', () => {
    assert.equal(podHostname({ metadata: { name: 'web-1' }, spec: {} }), 'web-1');
    assert.equal(podHostname({ metadata: { name: 'web-1' }, spec: { hostname: 'h' } }), 'h');
    assert.equal(podHostname({ metadata: { name: 'x'.repeat(80) }, spec: {} }).length, 63);
  });

  it('says what isolates a pod, and why nothing does', () => {
    assert.equal(sandboxDescription({ available: true, layout: LAYOUT }, true), 'user+mount+uts namespaces');
    assert.equal(
      sandboxDescription({ available: false, reason: 'unshare failed: Operation not permitted' }, true),
      'none (user namespaces unavailable: unshare failed: Operation not permitted)',
    );
  });
});

describe('kubelet sandbox: real runs on this machine', function () {
  this.timeout(30_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-sandbox-'));
  const support = probeSandbox(dir);
  const registry = new GroupRegistry();
  const groups: ProcessGroup[] = [];

  after(async () => {
    for (const g of groups) g.signal('SIGKILL');
    await Promise.all(groups.map((g) => g.release()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds user namespaces and overlayfs usable here', () => {
    // This machine allows them (the brief's premise); the fallback is exercised by an explicit reason above.
    assert.ok(support.available, `sandbox probe: ${support.available ? '' : support.reason}`);
    assert.ok(support.available && support.layout.overlay.includes('usr') && support.layout.overlay.includes('etc'));
  });

  function run(podDir: string, hostname: string, script: string, mounts: Mount[] = []): { group: ProcessGroup; out: () => string } {
    if (!support.available) throw new Error('no sandbox here');
    const spec: SandboxSpec = { podDir, container: 'app', hostname, cwd: podDir, mounts, layout: support.layout };
    fs.mkdirSync(podDir, { recursive: true });
    prepareSandbox(spec);
    const group = ProcessGroup.spawn({ argv: sandboxArgv(spec, ['/bin/sh', '-c', script]), env: { PATH: '/usr/bin:/bin' }, cwd: podDir }, registry);
    groups.push(group);
    let out = '';
    group.stdout.on('data', (d: Buffer) => (out += d.toString()));
    group.stderr.on('data', (d: Buffer) => (out += d.toString()));
    return { group, out: () => out };
  }

  it('gives two pods their own /tmp, /usr and hostname, and mounts volumes at their mountPath', async () => {
    const vol = path.join(dir, 'vol');
    fs.mkdirSync(path.join(vol, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(vol, 'sub', 'config'), 'from the volume\n');
    const mounts: Mount[] = [
      { name: 'data', hostDir: vol, mountPath: '/data', readOnly: false },
      { name: 'conf', hostDir: vol, mountPath: '/etc/conf', readOnly: true, subPath: 'sub' },
    ];
    const script = (who: string) =>
      `echo ${who} > /tmp/x && mkdir -p /usr/share && echo ${who} > /usr/share/message && echo ${who} > /data/${who} &&
       echo "host=$(hostname) pwd=$(pwd) conf=$(cat /etc/conf/config)"; echo ${who}-ends > /dev/termination-log; echo nope > /dev/null; echo nope > /etc/conf/other || echo read-only; exec sleep 60`;
    const a = run(path.join(dir, 'pod-a'), 'pod-a', script('a'), mounts);
    const b = run(path.join(dir, 'pod-b'), 'pod-b', script('b'), mounts.slice(0, 1));
    await waitFor('both to report', () => a.out().includes('read-only') && b.out().includes('host=pod-b'), 10_000).catch((err: Error) => {
      throw new Error(`${err.message}\npod a: ${a.out()}\npod b: ${b.out()}`);
    });
    assert.match(a.out(), new RegExp(`host=pod-a pwd=${path.join(dir, 'pod-a')} conf=from the volume`));
    // What each wrote is its pod's, in the pod's directory, and not the host's.
    assert.equal(fs.readFileSync(path.join(dir, 'pod-a', 'tmp', 'x'), 'utf8'), 'a\n');
    assert.equal(fs.readFileSync(path.join(dir, 'pod-b', 'tmp', 'x'), 'utf8'), 'b\n');
    assert.equal(fs.readFileSync(path.join(dir, 'pod-a', 'sandbox', 'upper', 'usr', 'share', 'message'), 'utf8'), 'a\n');
    assert.equal(fs.readFileSync(path.join(dir, 'pod-b', 'sandbox', 'upper', 'usr', 'share', 'message'), 'utf8'), 'b\n');
    assert.ok(!(fs.existsSync('/usr/share/message') && /^[ab]\n$/.test(fs.readFileSync('/usr/share/message', 'utf8'))), "the host's /usr is untouched");
    // /dev is the container's own: its termination log is its file, and /dev/null works.
    assert.equal(fs.readFileSync(path.join(dir, 'pod-a', 'sandbox', 'dev', 'app', 'termination-log'), 'utf8'), 'a-ends\n');
    assert.equal(fs.readFileSync(path.join(dir, 'pod-b', 'sandbox', 'dev', 'app', 'termination-log'), 'utf8'), 'b-ends\n');
    // The volume is the host's directory itself; the read-only one refused the write.
    assert.equal(fs.readFileSync(path.join(vol, 'a'), 'utf8'), 'a\n');
    assert.equal(fs.existsSync(path.join(vol, 'sub', 'other')), false);

    // A command entered into pod a's namespaces sees what pod a wrote.
    if (!support.available) return;
    const exec = ProcessGroup.spawn(
      {
        argv: sandboxExecArgv(support.layout.nsenter, a.group.pid, '/usr/share', [
          '/bin/sh',
          '-c',
          'echo "$(cat /tmp/x /usr/share/message) $(hostname) $(pwd)"',
        ]),
        env: { PATH: '/usr/bin:/bin' },
        cwd: dir,
      },
      registry,
    );
    let execOut = '';
    exec.stdout.on('data', (d: Buffer) => (execOut += d.toString()));
    const { exitCode } = await exec.exited;
    await exec.release();
    assert.equal(exitCode, 0);
    assert.equal(execOut.trim(), 'a\na pod-a /usr/share');

    // Killing the group reaches every process in the namespaces.
    for (const p of [a, b]) {
      p.group.signal('SIGKILL');
      await p.group.release();
      assert.ok(groupGone(p.group.pid));
    }
  });

  it('ends the run with a clear message when a mount cannot be made', async () => {
    const p = run(path.join(dir, 'pod-c'), 'pod-c', 'echo never', [{ name: 'gone', hostDir: path.join(dir, 'missing'), mountPath: '/data', readOnly: false }]);
    const { exitCode } = await p.group.exited;
    await p.group.release();
    assert.equal(exitCode, 128);
    assert.match(p.out(), /cannot set up the container's sandbox/);
    assert.doesNotMatch(p.out(), /never/);
  });
});
