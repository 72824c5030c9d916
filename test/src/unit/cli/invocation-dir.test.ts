// `npm run kip` and `npm run experiment` run in the package root whatever directory the user typed
// them in; relative paths must still mean the user's directory (npm's INIT_CWD), as they do for
// kubectl. Checked on the pure rule and on the real programs, started as npm starts them.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '@kip/scripts';
import { invocationDir } from '@kip/scripts';

describe('cli paths from where the user typed the command', function () {
  this.timeout(20_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kip-cwd-'));
    await writeFile(path.join(dir, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: pause\n');
    await writeFile(path.join(dir, 'exp.yaml'), 'name: e\nduration: 5s\nworkload: [missing.yaml]\nprobe: {url: http://web/, rate: 5}\ntimeline: []\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('takes INIT_CWD only under its own npm script', () => {
    assert.equal(invocationDir({ npm_lifecycle_event: 'kip', INIT_CWD: '/home/u/examples' }, '/repo', 'kip'), '/home/u/examples');
    assert.equal(invocationDir({ npm_lifecycle_event: 'test', INIT_CWD: '/home/u' }, '/repo', 'kip'), '/repo', 'another script keeps its own directory');
    assert.equal(invocationDir({}, '/repo', 'kip'), '/repo', 'run directly: the working directory');
    assert.equal(invocationDir({ npm_lifecycle_event: 'kip' }, '/repo', 'kip'), '/repo');
  });

  // As `cd DIR && npm run X -- ...` starts X: in the package root, with INIT_CWD and the script name.
  const asNpmRuns = (script: string, args: string[]) =>
    spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 15_000, env: { ...process.env, npm_lifecycle_event: script, INIT_CWD: dir } });

  it("npm run kip -- apply -f FILE reads FILE from the user's directory", () => {
    // Nothing listens on port 1: reading the file succeeded if the error is about the server.
    const r = asNpmRuns('kip', [path.join(ROOT, 'scripts/dist/kip/main.js'), 'apply', '-f', 'pod.yaml', '--server', 'http://127.0.0.1:1']);
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.stderr, /does not exist/);
    assert.match(r.stderr, /connection to the server 127\.0\.0\.1:1 was refused/);
  });

  it("npm run experiment -- FILE reads FILE, and what it names, from the user's directory", () => {
    const r = asNpmRuns('experiment', [path.join(ROOT, 'scripts/dist/experiment/main.js'), 'exp.yaml', '--server', 'http://127.0.0.1:1']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`workload\\[0\\]: .*no such file \\(looked for ${path.join(dir, 'missing.yaml').replace(/[.]/g, '\\.')}\\)`));
  });
});
