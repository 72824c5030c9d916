// The agent's bundle entry runs the agent from V8's code cache: what it runs must be the agent,
// whatever the cache file holds (a cache of other code is V8's to reject, and the loader then
// compiles), and it must say what the agent says on bad input.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { AGENT_MAIN } from '../../helpers/cluster.js';

const dir = path.dirname(AGENT_MAIN);
const bundle = path.join(dir, 'agent.cjs');

function cacheFile(): string {
  const hash = createHash('sha256').update(fs.readFileSync(bundle, 'utf8')).digest('hex').slice(0, 16);
  return path.join(dir, `agent.cjs.${hash}.cache`);
}

function agent(...args: string[]) {
  return spawnSync(process.execPath, [AGENT_MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('agent bundle loader (code cache)', () => {
  let saved: Buffer | undefined;
  before(() => {
    saved = fs.existsSync(cacheFile()) ? fs.readFileSync(cacheFile()) : undefined;
  });
  after(() => {
    // Put back what agents of this build wrote, or nothing.
    if (saved) fs.writeFileSync(cacheFile(), saved);
    else fs.rmSync(cacheFile(), { force: true });
  });

  it('runs the agent: its usage, and its clear error naming a bad flag', () => {
    const help = agent('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: kip-agent --name NODE/);
    const bad = agent('--name', 'node-1', '--cpu', 'lots');
    assert.match(bad.stderr, /--cpu: "lots" is not a cpu quantity/);
  });

  it('runs the agent when the cache under its name holds code V8 does not take', () => {
    // Code cached for another script of another length: V8 rejects it rather than run it.
    const other = new vm.Script('(function () { return 42; })').createCachedData();
    for (const content of [Buffer.from('not a code cache'), other]) {
      fs.writeFileSync(cacheFile(), content);
      const help = agent('--help');
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /^usage: kip-agent --name NODE/);
    }
  });

  it('loads the built-in modules the agent needs before it changes V8 flags, so their code cache is taken', () => {
    // Preloaded into the agent: notes Node's module list when the loader sets V8 flags, and at exit
    // prints the public built-ins loaded after that (compiled from source: V8 rejects the code
    // Node cached for them under other flags).
    const dirOf = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-loader-'));
    const preload = path.join(dirOf, 'preload.cjs');
    fs.writeFileSync(
      preload,
      `const v8 = require('node:v8');
      const { builtinModules } = require('node:module');
      const set = v8.setFlagsFromString;
      let before;
      v8.setFlagsFromString = (f) => { before ??= new Set(process.moduleLoadList); set(f); };
      process.on('exit', () => {
        const later = process.moduleLoadList.filter((m) => !before?.has(m) && m.startsWith('NativeModule ') && builtinModules.includes(m.slice(13)));
        process.stderr.write('LOADED-AFTER-FLAGS ' + JSON.stringify({ flagsSet: before !== undefined, later }) + '\\n');
      });`,
    );
    try {
      const r = spawnSync(process.execPath, ['--require', preload, AGENT_MAIN, '--help'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const line = /LOADED-AFTER-FLAGS (.*)/.exec(r.stderr);
      assert.ok(line, r.stderr);
      const { flagsSet, later } = JSON.parse(line[1]!) as { flagsSet: boolean; later: string[] };
      assert.ok(flagsSet, 'the loader sets V8 flags');
      assert.deepEqual(later, [], 'built-in modules compiled from source after the flags changed');
    } finally {
      fs.rmSync(dirOf, { recursive: true, force: true });
    }
  });

  it('runs the agent from a cache V8 takes', () => {
    // The cache an agent writes: the bundle as the loader wraps it, compiled here.
    const source = fs.readFileSync(bundle, 'utf8');
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!/, '//')}\n})`, { filename: bundle });
    fs.writeFileSync(cacheFile(), script.createCachedData());
    const help = agent('--help');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: kip-agent --name NODE/);
  });
});
